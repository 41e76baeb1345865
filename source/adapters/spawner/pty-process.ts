import pty from 'node-pty';
import {signalName} from '../claude/worker-exit.js';
import {PtyPair} from './pty-pair.js';
import {sharedSpawner, spawnerStartsOnTerminals, type ProcessEnd, type Spawner} from './spawner.js';

export type {ProcessEnd} from './spawner.js';

export type PtyProcessOptions = {columns: number; rows: number; cwd: string; env: Record<string, string>};

/** A process on its own pseudo-terminal, however it was started. */
export type PtyProcess = {
	/** The pid once the process runs; rejects with the reason when it could not be started. */
	readonly started: Promise<number>;
	onData(listener: (data: string) => void): void;
	/** Once, after its output up to its end was delivered. */
	onExit(listener: (end: ProcessEnd) => void): void;
	write(data: string): void;
	resize(columns: number, rows: number): void;
};

/** After the process ended, how long its terminal may take to hand over the last output before the end is told. */
const DRAIN_MS = 500;

/**
 * Starts `file` on a new pseudo-terminal. Through the spawner where it works: the core only opens the terminal
 * (a tenth of a millisecond) and sends a message, so a start holds the core's event loop for no fork. Elsewhere
 * node-pty forks the core itself.
 */
export function startPtyProcess(file: string, args: string[], options: PtyProcessOptions): PtyProcess {
	return spawnerStartsOnTerminals() ? spawnedPty(sharedSpawner(), file, args, options) : forkedPty(file, args, options);
}

function spawnedPty(spawner: Spawner, file: string, args: string[], options: PtyProcessOptions): PtyProcess {
	const pair = new PtyPair(options.columns, options.rows);
	const remote = spawner.start({file, args, cwd: options.cwd, env: {...options.env, PWD: options.cwd}, tty: pair.path});
	remote.started.then(
		() => pair.releaseSlave(),
		() => pair.close(),
	);
	let onExit: ((end: ProcessEnd) => void) | undefined;
	let end: ProcessEnd | undefined;
	let isClosed = false;
	let isTold = false;
	const tell = () => {
		if (isTold || !end || !onExit) return;
		isTold = true;
		onExit(end);
	};
	pair.onClosed(() => {
		isClosed = true;
		tell();
	});
	void remote.ended.then(ended => {
		end = ended;
		// The terminal hangs up once its last output was read, unless a process the worker left still holds it.
		if (isClosed) tell();
		else
			setTimeout(() => {
				pair.close();
				tell();
			}, DRAIN_MS).unref();
	});
	return {
		started: remote.started,
		onData: listener => pair.onData(listener),
		onExit: listener => {
			onExit = listener;
			tell();
		},
		write: data => pair.write(data),
		resize: (columns, rows) => pair.resize(columns, rows),
	};
}

function forkedPty(file: string, args: string[], options: PtyProcessOptions): PtyProcess {
	const child = pty.spawn(file, args, {name: options.env['TERM'] ?? 'xterm-256color', cols: options.columns, rows: options.rows, cwd: options.cwd, env: options.env});
	return {
		started: Promise.resolve(child.pid),
		onData: listener => child.onData(listener),
		onExit: listener => child.onExit(({exitCode, signal}) => listener({exitCode, signal: signal ? signalName(signal) : null})),
		write: data => child.write(data),
		resize: (columns, rows) => child.resize(columns, rows),
	};
}
