import {readFileSync} from 'node:fs';
import {text as readStream} from 'node:stream/consumers';
import type {Config} from '../config.js';
import {isTerminal} from '../core/domain/task.js';
import {fitsHost} from '../core/fleet/placement.js';
import {attachElsewhere, logElsewhere} from '../core/domain/other-host.js';
import type {FleetStatus, TaskView} from '../protocol/views.js';
import {CliError, connectFleet, createProgress, getTask, listTasks, stdout, withFleet, type FleetClient, type Output} from './client.js';
import {specFromFlags} from './task-flags.js';
import {checkedAlways} from './inbox-command.js';
import {age, formatAdmission, formatTask, formatTaskTable, money, statusLabel} from './format.js';

const POLL_MS = 400;
const stderr: Output = {out: text => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)};

/** `ccfleet delegate`'s own flags; every task setting comes from the task spec's flags (task-flags.ts). */
export type DelegateFlags = Record<string, unknown> & {
	file?: string;
	wait: boolean;
	json: boolean;
	stdin?: boolean;
};

/** The prompt from the words given, a file, and piped stdin, in that order, joined by blank lines. */
async function collectPrompt(words: string[], flags: DelegateFlags): Promise<string> {
	const parts: string[] = [];
	if (words.length > 0) parts.push(words.join(' '));
	if (flags.file) {
		try {
			parts.push(readFileSync(flags.file, 'utf8'));
		} catch (error) {
			throw new CliError(`Cannot read the prompt file ${flags.file}: ${(error as Error).message}`);
		}
	}
	const readStdin = flags.stdin ?? !process.stdin.isTTY;
	if (readStdin) {
		const piped = await readStream(process.stdin);
		if (piped.trim()) parts.push(piped);
	}
	const prompt = parts.join('\n\n');
	if (!prompt.trim()) {
		throw new CliError(
			'No prompt given. Pass it as words (ccfleet delegate "fix the tests"), with --file <path>, or on stdin (git diff | ccfleet delegate "Review this").',
		);
	}
	return prompt;
}

/**
 * The id alone goes to stdout, so that `ID=$(ccfleet delegate …)` works; how the task stands goes to stderr for the
 * person watching. With --wait the id comes first and the result after it.
 */
export async function delegate(config: Config, words: string[], flags: DelegateFlags, io: Output = stdout, notes: Output = stderr): Promise<number> {
	const prompt = await collectPrompt(words, flags);
	const spec = specFromFlags(flags, prompt);
	return withFleet(config, async fleet => {
		// Read first, a pinned task's placement is judged on hosts as they are now.
		const hosts = spec.host !== undefined || spec.label !== undefined ? (await fleet.call('fleet_status', {})).hosts : undefined;
		const {task} = await fleet.call('delegate_task', spec);
		const warning = placementWarning(task, hosts);
		if (warning !== undefined) notes.out(`ccfleet: ${warning}`);
		if (flags.json && !flags.wait) {
			io.out(JSON.stringify(task, null, 2));
			return 0;
		}
		if (!flags.json) io.out(task.id);
		notes.out(
			`ccfleet: task ${task.id} is ${task.status}${task.queuePosition ? ` (#${task.queuePosition} in the queue)` : ''}${task.waitingOn?.length ? `, waiting for ${task.waitingOn.join(', ')}` : ''}.` +
				(flags.wait ? '' : ` Follow it with: ccfleet wait ${task.id}`),
		);
		if (!flags.wait) return 0;
		const final = await waitForEnd(fleet, task.id);
		io.out(flags.json ? JSON.stringify(final, null, 2) : final.status === 'completed' ? (final.result ?? '') : formatTask(final));
		return final.status === 'completed' ? 0 : 1;
	});
}

/**
 * On a shared fleet, a task pinned where no live host fits: "no live host is gamma (live: alpha, beta); the task waits
 * for one". Undefined when one fits, or on one host (where a pin to another host is refused at once).
 */
export function placementWarning(task: TaskView, hosts: FleetStatus['hosts']): string | undefined {
	const pin = task.pin;
	if (pin === undefined || task.status !== 'queued' || !hosts?.length) return undefined;
	const live = hosts.filter(host => !host.down);
	const fits = live.some(host => fitsHost(pin, host));
	if (fits && task.waitingFor === undefined) return undefined;
	const what = pin.host === undefined ? `has label ${pin.label}` : `is ${pin.host}${pin.label === undefined ? '' : ` with label ${pin.label}`}`;
	const names = live.map(host => `${host.id}${host.labels.length > 0 ? ` [${host.labels.join(',')}]` : ''}`).join(', ');
	return `no live host ${what} (live: ${names || 'none'}); the task waits for one.`;
}

/** Polls until the task ends, with one live progress line on a terminal. */
async function waitForEnd(fleet: FleetClient, id: string): Promise<TaskView> {
	const progress = createProgress();
	const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
	let tick = 0;
	try {
		for (;;) {
			const task = await getTask(fleet, id);
			if (isTerminal(task.status)) return task;
			const detail =
				task.status === 'queued'
					? `#${task.queuePosition ?? '?'} in the queue`
					: task.status === 'needs_input'
						? `waits for you: ${task.question?.question ?? 'a permission answer'}`
						: task.status === 'parked'
							? 'waits for the usage limit to reset, then goes on by itself'
							: `${task.workerState ?? 'running'} for ${age(task.startedAt)}`;
			progress.update(`${spinner[tick++ % spinner.length]} ${id} ${statusLabel(task)} · ${detail} · ${money(task.costUsd)}`);
			await new Promise(resolve => setTimeout(resolve, POLL_MS));
		}
	} finally {
		progress.done();
	}
}

export async function status(config: Config, id: string | undefined, flags: {json: boolean; all: boolean}, io: Output = stdout): Promise<number> {
	return withFleet(config, async fleet => {
		if (id) {
			const task = await getTask(fleet, id);
			io.out(flags.json ? JSON.stringify(task, null, 2) : formatTask(task));
			return 0;
		}
		const limit = flags.all ? 1000 : 30;
		if (flags.json) {
			io.out(JSON.stringify(await listTasks(fleet, {limit}), null, 2));
			return 0;
		}
		const [result, fleetStatus] = await Promise.all([listTasks(fleet, {limit}), fleet.call('fleet_status', {})]);
		const counts = Object.entries(result.counts)
			.filter(([, n]) => n > 0)
			.map(([name, n]) => `${n} ${name}`)
			.join(', ');
		io.out(`${formatTaskTable(result.tasks)}\n\n${counts ? `${counts}\n` : ''}${formatAdmission(fleetStatus)}`);
		return 0;
	});
}

export async function logs(config: Config, id: string, flags: {tail?: number; follow: boolean}, io: Output = stdout): Promise<number> {
	return withFleet(config, async fleet => {
		const first = await fleet.call('task_logs', {id, ...(flags.tail ? {tail: flags.tail} : {})});
		if (first.log) process.stdout.write(first.log);
		else {
			// Another host's task wrote its log there: say where rather than print nothing.
			const [task, {host}] = await Promise.all([getTask(fleet, id), fleet.call('fleet_status', {})]);
			const elsewhere = logElsewhere(task, host);
			if (elsewhere !== undefined) throw new CliError(elsewhere);
		}
		if (!flags.follow) return 0;
		let shown = (await fleet.call('task_logs', {id})).log.length;
		for (;;) {
			const task = await getTask(fleet, id);
			const {log} = await fleet.call('task_logs', {id});
			if (log.length > shown) process.stdout.write(log.slice(shown));
			shown = log.length;
			if (isTerminal(task.status)) {
				io.out(`[ccfleet] task ${id} ${task.status}${task.failureReason ? `: ${task.failureReason}` : ''}`);
				return 0;
			}
			await new Promise(resolve => setTimeout(resolve, POLL_MS));
		}
	});
}

export async function cancel(config: Config, id: string, reason: string | undefined, io: Output = stdout): Promise<number> {
	return withFleet(config, async fleet => {
		const {task, tasks} = await fleet.call('cancel_task', {id, ...(reason ? {reason} : {})});
		// A workflow's id cancels all its steps; each says where it ended.
		for (const each of tasks ?? [task]) io.out(`${each.id} ${each.status}${each.failureReason ? ` (${each.failureReason})` : ''}`);
		return 0;
	});
}

export async function retry(config: Config, id: string, flags: {json: boolean}, io: Output = stdout): Promise<number> {
	return withFleet(config, async fleet => {
		const {task} = await fleet.call('retry_task', {id});
		io.out(flags.json ? JSON.stringify(task, null, 2) : `${task.id} ${task.status} (retries ${id})`);
		return 0;
	});
}

export async function resume(config: Config, id: string, context: string | undefined, flags: {json: boolean}, io: Output = stdout): Promise<number> {
	return withFleet(config, async fleet => {
		const {task, resumedConversation} = await fleet.call('resume_task', {id, ...(context ? {additionalContext: context} : {})});
		io.out(
			flags.json
				? JSON.stringify(task, null, 2)
				: `${task.id} ${task.status} (continues ${id}; ${resumedConversation ? 'resumes its conversation' : 'its conversation is gone, so the task is retold to a fresh worker'})`,
		);
		return 0;
	});
}

/** `ccfleet respond <id> approve|deny [message]|text <text>`. */
export async function respond(config: Config, id: string, action: string | undefined, rest: string[], flags: {always?: string} = {}, io: Output = stdout): Promise<number> {
	if (action !== 'approve' && action !== 'deny' && action !== 'text') {
		throw new CliError(`Say how to respond: ccfleet respond ${id} approve | deny [why] | text <what to type>.`);
	}
	const words = rest.join(' ');
	if (action === 'text' && !words) throw new CliError('ccfleet respond <id> text needs the text to type.');
	const always = checkedAlways(flags.always);
	if (always && action !== 'approve') throw new CliError('--always goes with approve: it keeps a rule that allows the same call next time.');
	return withFleet(config, async fleet => {
		const {message} = await fleet.call('respond_to_task', {
			id,
			action,
			...(action === 'deny' && words ? {message: words} : {}),
			...(action === 'text' ? {text: words} : {}),
			...(always ? {always} : {}),
		});
		io.out(message ?? `Answered task ${id}.`);
		return 0;
	});
}

/** `ccfleet wait <id...>`: until they all end, with a live progress line; exit 0 only if all completed. */
export async function wait(config: Config, ids: string[], flags: {json: boolean}, io: Output = stdout): Promise<number> {
	if (ids.length === 0) throw new CliError('ccfleet wait needs task ids. Find them with `ccfleet status`.');
	return withFleet(config, async fleet => {
		const tasks: TaskView[] = [];
		for (const id of ids) tasks.push(await waitForEnd(fleet, id));
		io.out(
			flags.json
				? JSON.stringify(tasks, null, 2)
				: tasks
						.map(
							task => `${task.id} ${task.status}${task.status === 'completed' ? `: ${task.result ?? ''}` : task.failureReason ? `: ${task.failureReason}` : ''}`,
						)
						.join('\n'),
		);
		return tasks.every(task => task.status === 'completed') ? 0 : 1;
	});
}

/**
 * Before `ccfleet attach` touches the terminal: the task must be known and have a live pty worker. Says what to do
 * instead when it has none (ended, not started yet, headless), without starting a core that is not running.
 */
export async function checkAttachable(config: Config, id: string): Promise<void> {
	const fleet = await connectFleet(config, {startDaemon: false});
	try {
		const [task, {host}] = await Promise.all([getTask(fleet, id), fleet.call('fleet_status', {})]);
		const elsewhere = attachElsewhere(task, host);
		if (elsewhere !== undefined) throw new CliError(elsewhere);
		if (isTerminal(task.status)) {
			throw new CliError(`Task ${id} has ended (${task.status}); there is no worker to attach to. Read what it did with \`ccfleet logs ${id}\`.`);
		}
		if (task.status === 'queued' || task.status === 'parked') {
			throw new CliError(`Task ${id} is ${task.status}; it has no worker yet. Attach once it runs (\`ccfleet status ${id}\` shows when).`);
		}
		if (task.mode === 'headless') {
			throw new CliError(`Task ${id} runs headless (claude -p), which has no terminal to attach to. Use \`ccfleet logs ${id} --follow\` to watch it.`);
		}
	} finally {
		await fleet.close();
	}
}
