import type {FleetStatus, TaskView} from '../protocol/views.js';

export function age(fromIso: string | undefined, now = Date.now()): string {
	if (!fromIso) return '-';
	const seconds = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
	return `${Math.floor(seconds / 86_400)}d`;
}

export function money(usd: number): string {
	return usd === 0 ? '-' : usd < 0.01 ? '<$0.01' : `$${usd.toFixed(2)}`;
}

function oneLine(text: string, width: number): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

export function statusLabel(task: TaskView): string {
	if (task.status === 'needs_input') return 'NEEDS INPUT';
	return task.status;
}

/** The task list of `ccfleet status`. */
export function formatTaskTable(tasks: TaskView[], columns = process.stdout.columns || 100): string {
	if (tasks.length === 0) return 'No tasks yet. Hand one over with: ccfleet delegate "<what to do>"';
	const rows = tasks.map(task => [task.id, statusLabel(task), task.priority, age(task.createdAt), money(task.costUsd)]);
	const header = ['ID', 'STATUS', 'PRI', 'AGE', 'COST'];
	const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => row[i]!.length)));
	const used = widths.reduce((sum, width) => sum + width + 2, 0);
	const promptWidth = Math.max(20, columns - used - 1);
	const line = (cells: string[], prompt: string) => `${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${prompt}`;
	return [line(header, 'PROMPT'), ...tasks.map((task, i) => line(rows[i]!, oneLine(task.prompt, promptWidth)))].join('\n');
}

/** `310 MB`, `4.2 GB`: the units people read memory in. */
export function memory(bytes: number): string {
	const gb = bytes / 1024 ** 3;
	return gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/**
 * Under `ccfleet status`'s table: what holds the queue, if anything; then how many workers run, what they take, how
 * many more would fit, and what the machine has left. While the machine's measure holds the queue, each measure
 * shows the setting it is held against, since that is what to change to let more run.
 */
export function formatAdmission(fleet: FleetStatus, now = Date.now()): string {
	const {admission, system, workers, backoff} = fleet;
	const held = admission.heldBy;
	const lines: string[] = [];
	if (held !== undefined && backoff && held === backoff.reason) {
		lines.push(`queue held for ${Math.max(1, Math.ceil((Date.parse(backoff.until) - now) / 1000))}s more: ${held}`);
	} else if (held !== undefined) {
		lines.push(`queue held: ${held}`);
	}
	const isHeldByMachine = held !== undefined && /CPU_THRESHOLD|MEMORY_RESERVE|MAX_WORKERS/.test(held);
	const ceiling = admission.maxWorkers === undefined ? '' : ` of at most ${admission.maxWorkers}`;
	const using = admission.workerBytes > 0 ? ` using ${memory(admission.workerBytes)}` : '';
	// Without a sample of the machine and without a ceiling, the core cannot say how many more would fit.
	const room = admission.roomFor === undefined && admission.maxWorkers === undefined ? '' : `, room for ${Math.max(0, workers.allowed - workers.running)} more`;
	const reserve = isHeldByMachine ? ` (reserve ${memory(admission.memoryReserveBytes)})` : '';
	const threshold = isHeldByMachine ? ` (threshold ${admission.cpuThresholdPercent} %)` : '';
	lines.push(
		`workers: ${workers.running} running${ceiling}${using}${room} · memory ${memory(system.memoryFreeBytes)} free of ${memory(system.memoryTotalBytes)}${reserve} · CPU ${Math.round(system.cpuPercent)} %${threshold}`,
	);
	return lines.join('\n');
}

/** One task in full, for `ccfleet status <id>`. */
export function formatTask(task: TaskView): string {
	const lines: [string, string | undefined][] = [
		['id', task.id],
		['status', statusLabel(task) + (task.workerState ? ` (worker ${task.workerState})` : '')],
		['priority', task.priority],
		['mode', task.mode],
		['role', task.role],
		[
			'isolation',
			task.isolation
				? `${task.isolation}${task.mergeStrategy ? ` (merge: ${task.mergeStrategy})` : ''}${task.worktree ? ` in ${task.worktree.path} on ${task.worktree.branch}` : ''}`
				: undefined,
		],
		['changes', task.merge?.summary],
		['retry of', task.retryOf],
		['continues', task.parentTaskId],
		['cwd', task.cwd],
		['created', task.createdAt],
		['started', task.startedAt],
		['ended', task.endedAt],
		['attempts', String(task.attempts)],
		['queue position', task.queuePosition ? String(task.queuePosition) : undefined],
		['depends on', task.dependsOn?.join(', ')],
		['continues from', task.continueFrom],
		['waits for', task.waitingOn?.join(', ')],
		['question', task.question ? `${task.question.question}  → answer in the dashboard, or with respond_to_task over MCP` : undefined],
		['exit code', task.exitCode === undefined ? undefined : String(task.exitCode)],
		['failure', task.failureReason],
		['cancelled by', task.cancelledBy],
		['session', task.sessionId],
		['cost', money(task.costUsd)],
		['tokens', `${task.tokens.input} in, ${task.tokens.output} out, ${task.tokens.cacheRead} cache read, ${task.tokens.cacheCreation} cache write`],
		['prompt', oneLine(task.prompt, 300)],
	];
	const body = lines.filter(([, value]) => value !== undefined).map(([key, value]) => `${key.padEnd(15)}${value}`);
	if (task.result !== undefined) body.push('', 'result:', task.result);
	return body.join('\n');
}
