import type {Config} from '../config.js';
import {isProcessAlive} from '../adapters/system/process-info.js';
import {readStateLockOwner} from '../adapters/system/state-lock.js';
import {isOwnTask} from '../core/domain/other-host.js';
import type {TaskView} from '../protocol/views.js';
import {connectFleet, createProgress, listTasks, stdout, type FleetClient, type Output, type Progress} from './client.js';
import {CliError} from './errors.js';

/** How long `ccfleet stop` waits for the core to exit after SIGTERM before it says so. */
export const STOP_WAIT_MS = 60_000;
const POLL_MS = 100;
/** Tasks that have a worker now: stopping the core stops their workers. */
const ACTIVE = ['running', 'needs_input'] as const;

export type StopFlags = {cancelRunning: boolean; json?: boolean};

/** "k3f9a2zq (Fix the failing tests in…)": a task as one short item of a list. */
function brief(task: TaskView): string {
	const prompt = task.prompt.replace(/\s+/g, ' ').trim();
	return `${task.id} (${prompt.length > 40 ? `${prompt.slice(0, 40)}…` : prompt})`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * `ccfleet stop`: the core of this state directory (its pid from the state lock) is sent SIGTERM and waited for. Its
 * running tasks are read first, so that the answer can say what became of them: they are parked and resume on the next
 * start, or, with --cancel-running, cancelled before the core stops.
 */
export async function stop(config: Config, flags: StopFlags, io: Output = stdout, progress: Progress = createProgress()): Promise<number> {
	const owner = readStateLockOwner(config.lockPath);
	if (!owner || !isProcessAlive(owner)) {
		io.out(`ccfleet: no core is running for ${config.home}; nothing to stop.`);
		return 0;
	}
	let active: TaskView[] = [];
	const cancelled: TaskView[] = [];
	// On a shared fleet, this host's id: only its own workers stop with it.
	let host: string | undefined;
	let fleet: FleetClient | undefined;
	try {
		fleet = await connectFleet(config, {startDaemon: false});
	} catch {
		// A core still starting up (or wedged) holds the lock but does not answer yet: it is stopped all the same.
	}
	if (fleet) {
		try {
			host = (await fleet.call('fleet_status', {})).host;
			active = ownTasks((await listTasks(fleet, {status: ACTIVE, limit: 1000})).tasks, host);
			if (flags.cancelRunning) {
				for (const task of active) {
					const {task: after} = await fleet.call('cancel_task', {id: task.id, reason: 'cancelled by ccfleet stop --cancel-running'});
					cancelled.push(after);
				}
				active = [];
			}
		} finally {
			await fleet.close();
		}
	}
	try {
		process.kill(owner.pid, 'SIGTERM');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new CliError(`Cannot signal the core (pid ${owner.pid}): ${(error as Error).message}.`);
	}
	const started = Date.now();
	try {
		while (isProcessAlive(owner)) {
			const waited = Date.now() - started;
			if (waited > STOP_WAIT_MS) {
				throw new CliError(
					`The core (pid ${owner.pid}) did not stop within ${STOP_WAIT_MS / 1000} s of SIGTERM. Its log: ${config.daemonLogPath}. ` +
						`Run ccfleet stop again to wait longer, or end it with kill -9 ${owner.pid} (its running tasks are then recovered on the next start).`,
				);
			}
			progress.update(
				`ccfleet: stopping the core (pid ${owner.pid})${active.length ? `, parking ${plural(active.length, 'running task')}` : ''}… ${(waited / 1000).toFixed(1)} s`,
			);
			await new Promise(resolve => setTimeout(resolve, POLL_MS));
		}
	} finally {
		progress.done();
	}
	io.out(stoppedMessage(owner.pid, active, cancelled, fleet !== undefined, host));
	return 0;
}

/** The tasks whose workers run on this host: on a shared fleet, those it holds (`host`); on one host, all. */
export function ownTasks(tasks: TaskView[], host: string | undefined): TaskView[] {
	return tasks.filter(task => isOwnTask(task, host));
}

/** What `ccfleet stop` says once the core stopped; `host` is this host's id on a shared fleet. */
export function stoppedMessage(pid: number, parked: TaskView[], cancelled: TaskView[], knewTasks: boolean, host?: string): string {
	const parts = [`ccfleet: stopped (pid ${pid}).`];
	if (!knewTasks) parts.push('It did not answer before it stopped, so its running tasks are not known here; see them with ccfleet status.');
	else if (cancelled.length > 0) parts.push(`${plural(cancelled.length, 'running task')} cancelled: ${cancelled.map(brief).join(', ')}.`);
	else if (parked.length > 0) {
		const when =
			host === undefined
				? 'on the next start (ccfleet, or any ccfleet command)'
				: `on this host's next start, or on another host once its lease (CCFLEET_LEASE_MS) runs out`;
		parts.push(`${plural(parked.length, 'running task')} will resume ${when}: ${parked.map(brief).join(', ')}.`);
	} else parts.push(host === undefined ? 'No task was running.' : `No task was running on this host (${host}).`);
	return parts.join(' ');
}
