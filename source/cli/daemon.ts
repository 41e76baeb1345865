import path from 'node:path';
import type {Config} from '../config.js';
import type {Fleet} from '../core/fleet.js';
import type {Logger} from '../core/ports/logger.js';
import {startCore} from '../core-host.js';
import {createFileLogger, teeLogger} from '../adapters/system/file-logger.js';

/** The daemon's structured log, beside the task logs; rotated by size (file-logger.ts). */
export const DAEMON_LOG_FILE = 'ccfleet.log';
/** A stop that takes longer than this (a worker that will not die, a stuck drain) ends the process anyway. */
export const DAEMON_STOP_TIMEOUT_MS = 60_000;
/** After a clean stop, how long a leftover handle may keep the process before it exits regardless. */
const EXIT_GRACE_MS = 2000;

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** One log line per task status change and per hold of the queue, so the log tells what the fleet did and why. */
function logFleetActivity(fleet: Fleet, logger: Logger): void {
	fleet.on('task:created', ({task}) => logger.info('task created', {task: task.id, mode: task.mode, priority: task.priority}));
	fleet.on('task:updated', ({task, previous}) => {
		if (task.status === previous) return;
		// On a shared fleet this log hears every host's tasks: each line names the host that holds or ran the task.
		const host = fleet.hosts.ofTask(task.id);
		const fields = {
			task: task.id,
			...(host === undefined ? {} : {host}),
			from: previous,
			attempts: task.attempts,
			costUsd: task.costUsd,
			...(task.failureReason ? {reason: task.failureReason} : {}),
		};
		if (task.status === 'failed') logger.warn('task failed', fields);
		else logger.info(`task ${task.status}`, fields);
	});
	fleet.on('fleet:held', ({policy, reason, until}) => logger.warn('queue held', {policy, reason, ...(until === undefined ? {} : {until: new Date(until).toISOString()})}));
}

/** The tasks running on this host's workers (on a shared fleet the fleet lists every host's). */
export function ownRunning(fleet: Pick<Fleet, 'list'> & {hosts: Pick<Fleet['hosts'], 'ofTask' | 'ownId'>}): number {
	return fleet.list({statuses: ['running']}).filter(task => fleet.hosts.ofTask(task.id) === fleet.hosts.ownId).length;
}

/**
 * `ccfleet --daemon`: the core with no UI, until SIGTERM (`ccfleet stop`, systemd), SIGINT or SIGHUP. A stop is
 * graceful: no new task is admitted, running workers are ended and go back to the queue to resume on the next start,
 * checkpoints under way are drained, the store is closed and the socket removed; then the exit code is 0.
 * Logs go to `logger` (stderr) and, as JSON lines, to $CCFLEET_HOME/logs/ccfleet.log.
 */
export async function runDaemon(config: Config, stderrLogger: Logger, hooks: {onReady?: (host: {httpUrl?: string}) => void} = {}): Promise<number> {
	const file = createFileLogger(path.join(config.logsDirectory, DAEMON_LOG_FILE), {level: config.logLevel});
	const logger = teeLogger(stderrLogger, file);
	// Listening from before the start: a SIGTERM while the core recovers its tasks stops it gracefully once it is up.
	const stopSignal = new Promise<NodeJS.Signals>(resolve => {
		let stopping: NodeJS.Signals | undefined;
		for (const name of STOP_SIGNALS) {
			// Kept listening after the first: a second signal during the stop must not kill the process half-way.
			process.on(name, () => {
				if (stopping) {
					logger.warn('already stopping; the running tasks are being put back in the queue', {signal: name});
					return;
				}
				stopping = name;
				resolve(name);
			});
		}
	});
	let host: Awaited<ReturnType<typeof startCore>>;
	try {
		host = await startCore(config, logger);
	} catch (error) {
		logger.error('the core could not start', {error: (error as Error).message});
		file.close();
		throw error;
	}

	logFleetActivity(host.fleet, logger);
	logger.info('ccfleet daemon ready', {
		pid: process.pid,
		socket: config.socketPath,
		home: config.home,
		claude: host.claudePath,
		recovered: host.recovery,
		...(host.httpUrl ? {http: host.httpUrl} : {}),
	});
	hooks.onReady?.(host);
	const signal = await stopSignal;
	const running = ownRunning(host.fleet);
	logger.info(
		host.fleet.hosts.ownId === undefined
			? 'stopping: running tasks will resume at the next start'
			: "stopping: this host's running tasks will resume at its next start, or on another host once its lease runs out",
		{signal, running},
	);
	const stopTimer = setTimeout(() => {
		logger.error(`the stop took longer than ${DAEMON_STOP_TIMEOUT_MS / 1000} s; exiting anyway. Tasks still marked running are recovered at the next start.`);
		file.close();
		process.exit(1);
	}, DAEMON_STOP_TIMEOUT_MS);
	stopTimer.unref();
	await host.close();
	clearTimeout(stopTimer);
	logger.info('stopped', {signal});
	file.close();
	// Everything the daemon owns is closed; a handle a library left open must not keep a service manager waiting.
	setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
	return 0;
}
