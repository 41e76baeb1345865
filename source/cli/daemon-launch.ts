import {spawn} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import type {Config} from '../config.js';
import {connectToSocket, NoCoreRunningError} from '../mcp/socket-server.js';
import {CliError} from './errors.js';
import {createProgress, type Progress} from './progress.js';

// Kept free of the MCP SDK: `ccfleet mcp` starts the daemon through here and must stay small.

const DAEMON_START_TIMEOUT_MS = 20_000;
const binPath = fileURLToPath(new URL('../../bin/ccfleet.js', import.meta.url));

/**
 * Starts `ccfleet --daemon` detached, with its output in daemon.log, and waits until it accepts a connection on the
 * socket (the core listens only once its fleet has started, so that is when it answers).
 */
export async function startDaemon(config: Config, progress: Progress = createProgress()): Promise<void> {
	mkdirSync(config.home, {recursive: true, mode: 0o700});
	const log = openSync(config.daemonLogPath, 'a', 0o600);
	const child = spawn(process.execPath, [binPath, '--daemon'], {detached: true, stdio: ['ignore', log, log], env: process.env});
	closeSync(log);
	let exited: number | null | undefined;
	child.on('exit', code => {
		exited = code;
	});
	process.stderr.write(`${startedMessage(config, child.pid)}\n`);
	const started = Date.now();
	try {
		for (;;) {
			if (exited !== undefined) {
				throw new CliError(`The daemon exited at start (code ${exited}). The end of its log:\n${tail(config.daemonLogPath, 15)}`);
			}
			try {
				const probe = await connectToSocket(config.socketPath);
				probe.destroy();
				return;
			} catch (error) {
				if (!(error instanceof NoCoreRunningError)) throw error;
			}
			const waited = Date.now() - started;
			if (waited > DAEMON_START_TIMEOUT_MS) {
				throw new CliError(`The daemon did not answer within ${DAEMON_START_TIMEOUT_MS / 1000} s. Look at its log: ${config.daemonLogPath}`);
			}
			progress.update(`ccfleet: waiting for the daemon to start… ${(waited / 1000).toFixed(1)} s`);
			await new Promise(resolve => setTimeout(resolve, 100));
		}
	} finally {
		progress.done();
		child.unref();
	}
}

/**
 * Says which store the new daemon uses: a command run with the database URL but another CCFLEET_HOME would otherwise
 * add a host to the shared fleet without a word, and one without the URL would start a fleet of its own.
 */
export function startedMessage(config: Config, pid: number | undefined): string {
	const store = config.shared
		? `It joined the fleet on the shared PostgreSQL (CCFLEET_DATABASE_URL) as host ${config.host.id}, with its state in ${config.home}.`
		: `Its tasks are kept in this machine's own SQLite at ${config.databasePath}.`;
	return `ccfleet: no core was running; started a background daemon (pid ${pid ?? '?'}, log ${config.daemonLogPath}). ${store}`;
}

function tail(file: string, lines: number): string {
	try {
		return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}
