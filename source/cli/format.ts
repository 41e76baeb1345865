import {describePin} from '../core/fleet/placement.js';
import type {FleetStatus, TaskView} from '../protocol/views.js';
import {budget, clockTime, duration, limitName, pinArrow} from '../ui/format.js';

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

/** The status as a word to read; a parked task's says when it goes on, in local time. */
export function statusLabel(task: TaskView, now = Date.now()): string {
	if (task.status === 'needs_input') return 'NEEDS INPUT';
	if (task.status === 'parked' && task.parkedUntil !== undefined) return `parked until ${clockTime(task.parkedUntil, now)}`;
	return task.status;
}

/** The task list of `ccfleet status`. */
export function formatTaskTable(tasks: TaskView[], columns = process.stdout.columns || 100, now = Date.now()): string {
	if (tasks.length === 0) return 'No tasks yet. Hand one over with: ccfleet delegate "<what to do>"';
	// Which host holds or ran each task: a column only when the tasks are spread over several hosts.
	const withHost = new Set(tasks.map(task => task.host).filter(host => host !== undefined)).size > 1;
	const hostCell = (task: TaskView) => task.host ?? (task.pin ? pinArrow(task.pin) : '-');
	const rows = tasks.map(task => [task.id, statusLabel(task, now), task.priority, ...(withHost ? [hostCell(task)] : []), age(task.createdAt), money(task.costUsd)]);
	const header = ['ID', 'STATUS', 'PRI', ...(withHost ? ['HOST'] : []), 'AGE', 'COST'];
	const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => row[i]!.length)));
	const used = widths.reduce((sum, width) => sum + width + 2, 0);
	const promptWidth = Math.max(20, columns - used - 1);
	const line = (cells: string[], prompt: string) => `${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${prompt}`;
	// A workflow's step says which it is before its prompt, which repeats the workflow's goal in every step.
	const prompt = (task: TaskView) => (task.workflow ? `[${task.workflow.name}:${task.workflow.step}] ${task.prompt}` : task.prompt);
	return [line(header, 'PROMPT'), ...tasks.map((task, i) => line(rows[i]!, oneLine(prompt(task), promptWidth)))].join('\n');
}

/** `310 MB`, `4.2 GB`: the units people read memory in. */
export function memory(bytes: number): string {
	const gb = bytes / 1024 ** 3;
	return gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** The policies a setting of the machine's decides: their measures show the setting beside them. */
const MACHINE_POLICIES = new Set(['cpu', 'memory', 'ceiling']);

/**
 * Under `ccfleet status`'s table: what holds the queue, if anything; then how many workers run, what they take, how
 * many more would fit, and what the machine has left. While the machine's measure holds the queue, each measure
 * shows the setting it is held against, since that is what to change to let more run.
 */
export function formatAdmission(fleet: FleetStatus, now = Date.now()): string {
	const {admission, system, workers, backoff} = fleet;
	const held = admission.heldBy;
	const lines: string[] = [];
	// On a shared fleet the queue's hold, the workers and the machine are this host's own; the rest is the fleet's.
	const own = fleet.host === undefined ? '' : `this host (${fleet.host}): `;
	const limit = usageLimitLine(fleet, now);
	if (limit !== undefined) lines.push(limit);
	// The limit's own line says it better than the core's sentence, which gives the reset in UTC.
	const isSaid = limit !== undefined && admission.heldByPolicy === 'usage limit';
	if (held !== undefined && !isSaid) {
		const isBackoff = backoff !== undefined && held === backoff.reason;
		lines.push(own + (isBackoff ? `queue held for ${Math.max(1, Math.ceil((Date.parse(backoff.until) - now) / 1000))}s more: ${held}` : `queue held: ${held}`));
	}
	const isHeldByMachine =
		held !== undefined && (admission.heldByPolicy === undefined ? /CPU_THRESHOLD|MEMORY_RESERVE|MAX_WORKERS/.test(held) : MACHINE_POLICIES.has(admission.heldByPolicy));
	const ceiling = admission.maxWorkers === undefined ? '' : ` of at most ${admission.maxWorkers}`;
	const using = admission.workerBytes > 0 ? ` using ${memory(admission.workerBytes)}` : '';
	// Without a sample of the machine and without a ceiling, the core cannot say how many more would fit.
	const room = admission.roomFor === undefined && admission.maxWorkers === undefined ? '' : `, room for ${Math.max(0, workers.allowed - workers.running)} more`;
	const reserve = isHeldByMachine ? ` (reserve ${memory(admission.memoryReserveBytes)})` : '';
	const threshold = isHeldByMachine ? ` (threshold ${admission.cpuThresholdPercent} %)` : '';
	lines.push(
		`${own}workers: ${workers.running} running${ceiling}${using}${room} · memory ${memory(system.memoryFreeBytes)} free of ${memory(system.memoryTotalBytes)}${reserve} · CPU ${Math.round(system.cpuPercent)} %${threshold}`,
	);
	if (fleet.unwritten) {
		const {count, since, reason} = fleet.unwritten;
		lines.push(
			`${own}not yet written to the database: ${count} change(s) for ${Math.max(1, Math.round((now - Date.parse(since)) / 1000))}s, kept in memory and retried: ${reason}`,
		);
	}
	if (admission.dailyBudgetUsd !== undefined) {
		lines.push(`daily budget: ${dollars(admission.spentTodayUsd)} of ${budget(admission.dailyBudgetUsd)} spent today`);
	}
	if (fleet.hosts?.length) {
		const host = (entry: NonNullable<FleetStatus['hosts']>[number]) =>
			`${entry.id}${entry.labels.length > 0 ? ` [${entry.labels.join(',')}]` : ''} ${entry.down ? 'down' : `${entry.workers} running`}`;
		lines.push(`hosts: ${fleet.hosts.map(host).join(' · ')}`);
	}
	return lines.join('\n');
}

/** `$0`, `$3.20`: money spent, zero included (the table's money() shows zero as `-`). */
function dollars(usd: number): string {
	return usd === 0 ? '$0' : `$${usd.toFixed(2)}`;
}

/** The account's usage limit in a line, with its reset in local time, when it holds or slows the fleet. */
function usageLimitLine(fleet: FleetStatus, now: number): string | undefined {
	const limit = fleet.usageLimit;
	if (limit === undefined) return undefined;
	const name = `the ${limitName(limit.kind)}`;
	const parked = fleet.counts.parked;
	const goOn = parked > 0 ? `, then the ${parked === 1 ? 'parked task goes' : `${parked} parked tasks go`} on first` : '';
	switch (limit.state) {
		case 'limited': {
			if (limit.resetsAt === undefined) return `usage limit: ${name} is reached; nothing starts until it resets${goOn}`;
			const left = Date.parse(limit.resetsAt) - now;
			return `usage limit: ${name} is reached; nothing starts until it resets at ${clockTime(limit.resetsAt, now)} (in ${duration(left)})${goOn}`;
		}
		case 'ramping':
			return `usage limit: ${name} has reset; workers come back gradually`;
		case 'warning':
			return `usage limit: near ${name}; starts are spaced out`;
	}
}

/** One task in full, for `ccfleet status <id>`. */
export function formatTask(task: TaskView): string {
	const lines: [string, string | undefined][] = [
		['id', task.id],
		['status', statusLabel(task) + (task.workerState ? ` (worker ${task.workerState})` : '')],
		[
			'parked until',
			task.parkedUntil === undefined ? undefined : `${task.parkedUntil}: the account's usage limit stopped its worker; it goes on by itself after the reset`,
		],
		['priority', task.priority],
		['host', task.host],
		['pinned to', task.pin ? describePin(task.pin)! + (task.waitingFor ? `: no live host fits; it waits for ${task.waitingFor}` : '') : undefined],
		['mode', task.mode],
		['role', task.role],
		['workflow', task.workflow ? `${task.workflow.name} ${task.workflow.id}, step ${task.workflow.step}` : undefined],
		[
			'isolation',
			task.isolation
				? `${task.isolation}${task.mergeStrategy ? ` (merge: ${task.mergeStrategy})` : ''}${task.worktree ? ` in ${task.worktree.path} on ${task.worktree.branch}` : ''}`
				: undefined,
		],
		['base', task.base ? `${task.base}${task.verify ? `, verified with \`${task.verify}\` before landing` : ''}` : undefined],
		['changes', task.merge?.summary],
		['pull request', task.merge?.pullRequestUrl],
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
		['question', task.question ? `${task.question.question}  → ccfleet respond ${task.id} approve|deny (or ccfleet inbox)` : undefined],
		['rules', [...(task.allow ?? []).map(rule => `allow ${rule}`), ...(task.deny ?? []).map(rule => `deny ${rule}`)].join(', ') || undefined],
		['answered', task.answers?.length ? answersLine(task.answers) : undefined],
		['exit code', task.exitCode === undefined ? undefined : String(task.exitCode)],
		['failure', task.failureReason],
		['cancelled by', task.cancelledBy],
		['session', task.sessionId],
		['cost', task.maxBudgetUsd === undefined ? money(task.costUsd) : `${money(task.costUsd)} of a budget of ${money(task.maxBudgetUsd)}`],
		['tokens', `${task.tokens.input} in, ${task.tokens.output} out, ${task.tokens.cacheRead} cache read, ${task.tokens.cacheCreation} cache write`],
		['prompt', oneLine(task.prompt, 300)],
	];
	const body = lines.filter(([, value]) => value !== undefined).map(([key, value]) => `${key.padEnd(15)}${value}`);
	if (task.result !== undefined) body.push('', 'result:', task.result);
	return body.join('\n');
}

/** "3: 2 allowed by rules, 1 denied by a person; last: Allow Bash(npm test)? allowed by the user rule Bash(npm test:*)". */
function answersLine(answers: NonNullable<TaskView['answers']>): string {
	const counts = new Map<string, number>();
	for (const answer of answers) {
		const key = `${answer.answer === 'allow' ? 'allowed' : 'denied'} by ${answer.by === 'rule' ? 'rules' : answer.by === 'timeout' ? 'the ask timeout' : 'a person'}`;
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	const last = answers.at(-1)!;
	const how = last.rule ? ` by the ${last.rule.level} rule ${last.rule.text}` : '';
	return `${answers.length}: ${[...counts].map(([key, count]) => `${count} ${key}`).join(', ')}; last: ${last.summary} ${last.answer === 'allow' ? 'allowed' : 'denied'}${how}`;
}
