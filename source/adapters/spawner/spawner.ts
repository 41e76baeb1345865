import {execFileSync, fork, type ChildProcess} from 'node:child_process';
import type {Socket} from 'node:net';
import {isProcessAlive} from '../system/process-info.js';
import type {SpawnerMessage, SpawnRequest} from './spawner-protocol.js';

/** How the process ended: a code, or the name of the signal that ended it (both null when unknown). */
export type ProcessEnd = {exitCode: number | null; signal: string | null};

export type RemoteProcess = {
	/** The pid once the process runs; rejects with the reason when it could not be started. */
	started: Promise<number>;
	/** Settles once the process has ended. */
	ended: Promise<ProcessEnd>;
};

/** How often the processes of a spawner that died are looked at, to learn when they end. */
const ORPHAN_POLL_MS = 500;

type Entry = {
	resolveStarted(pid: number): void;
	rejectStarted(error: Error): void;
	resolveEnded(end: ProcessEnd): void;
	onPipe?: (fd: 0 | 1 | 2, pipe: Socket) => void;
	pid?: number;
};

/**
 * The core's side of the spawner (spawner-main.ts): forks it at the first start, sends it start requests and hears
 * back pids and exits. Should it die, its processes' ends are learnt by polling, and the next start forks a new one.
 */
export class Spawner {
	#child: ChildProcess | undefined;
	#nextId = 1;
	readonly #entries = new Map<number, Entry>();

	/**
	 * Starts `file` on the terminal at `tty` (a pty's slave end, which the caller holds open until `started`), or
	 * without `tty` with pipes, each handed to `onPipe` as it arrives (stdin, stdout, stderr, after `started`).
	 */
	start(request: Omit<SpawnRequest, 'id'>, onPipe?: (fd: 0 | 1 | 2, pipe: Socket) => void): RemoteProcess {
		const id = this.#nextId++;
		let entry!: Entry;
		const started = new Promise<number>((resolve, reject) => {
			entry = {resolveStarted: resolve, rejectStarted: reject, resolveEnded: () => undefined};
		});
		const ended = new Promise<ProcessEnd>(resolve => {
			entry.resolveEnded = resolve;
		});
		// A start that failed never ends: nobody waits on `ended` then, but nothing should report it unhandled either.
		started.catch(() => undefined);
		if (onPipe) entry.onPipe = onPipe;
		this.#entries.set(id, entry);
		try {
			this.#spawner().send({...request, id} satisfies SpawnRequest);
		} catch (error) {
			this.#entries.delete(id);
			entry.rejectStarted(error instanceof Error ? error : new Error(String(error)));
		}
		return {started, ended};
	}

	#spawner(): ChildProcess {
		if (this.#child) return this.#child;
		const isSource = import.meta.url.endsWith('.ts');
		const main = new URL(isSource ? './spawner-main.ts' : './spawner-main.js', import.meta.url);
		// From the sources (tests, a run without a build) the spawner needs tsx to load TypeScript, as the core does.
		const execArgv = isSource ? ['--import', import.meta.resolve('tsx')] : [];
		const child = fork(main, [], {execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json'});
		child.on('message', (message, handle) => this.#onMessage(message as SpawnerMessage, handle as Socket | undefined));
		child.once('exit', () => this.#onSpawnerExit(child));
		// Neither the spawner nor its channel keeps the core running: the core's own handles (its socket, the workers'
		// terminals) decide that.
		child.unref();
		child.channel?.unref();
		this.#child = child;
		return child;
	}

	#onMessage(message: SpawnerMessage, handle: Socket | undefined): void {
		const entry = this.#entries.get(message.id);
		if (!entry) return;
		switch (message.type) {
			case 'spawned':
				entry.pid = message.pid;
				entry.resolveStarted(message.pid);
				break;
			case 'stdio':
				if (handle) entry.onPipe?.(message.fd, handle);
				break;
			case 'failed':
				this.#entries.delete(message.id);
				entry.rejectStarted(new Error(message.message));
				break;
			case 'exit':
				this.#entries.delete(message.id);
				entry.resolveEnded({exitCode: message.exitCode, signal: message.signal});
				break;
		}
	}

	/** The spawner died (killed, out of memory): what it had started lives on, and ends unseen by it. */
	#onSpawnerExit(child: ChildProcess): void {
		if (this.#child === child) this.#child = undefined;
		for (const [id, entry] of this.#entries) {
			this.#entries.delete(id);
			const {pid} = entry;
			if (pid === undefined) {
				entry.rejectStarted(new Error('the process spawner ended before it started the process'));
				continue;
			}
			const poll = setInterval(() => {
				if (isProcessAlive({pid})) return;
				clearInterval(poll);
				entry.resolveEnded({exitCode: null, signal: null});
			}, ORPHAN_POLL_MS);
		}
	}

	/** Ends the spawner; processes it started live on (their terminals are the caller's). */
	close(): void {
		this.#child?.kill();
		this.#child = undefined;
	}
}

let shared: Spawner | undefined;
let startsOnTerminals: boolean | undefined;

/** The spawner every worker of this process shares. */
export function sharedSpawner(): Spawner {
	shared ??= new Spawner();
	return shared;
}

/**
 * Whether the spawner can start a process on a terminal: it needs Linux's `setsid --ctty` to give the process its
 * controlling terminal. Where it cannot, node-pty forks the core for pty workers as before.
 */
export function spawnerStartsOnTerminals(): boolean {
	startsOnTerminals ??= process.platform === 'linux' && hasSetsid();
	return startsOnTerminals;
}

function hasSetsid(): boolean {
	try {
		execFileSync('setsid', ['--help'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}
