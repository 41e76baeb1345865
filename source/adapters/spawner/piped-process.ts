import type {Socket} from 'node:net';
import {PassThrough, type Readable} from 'node:stream';
import {sharedSpawner, type ProcessEnd} from './spawner.js';

export type PipedProcessOptions = {cwd: string; env: Record<string, string>};

/** A process in a session of its own, spoken to through its stdin, stdout and stderr. */
export type PipedProcess = {
	/** The pid once the process runs; rejects with the reason when it could not be started. */
	readonly started: Promise<number>;
	readonly stdin: PassThrough;
	readonly stdout: Readable;
	readonly stderr: Readable;
	/** Once the process ended and what it wrote was read (never, when it did not start). */
	readonly ended: Promise<ProcessEnd>;
};

/** After the process ended, how long its pipes may take to deliver the rest of what it wrote. */
const DRAIN_MS = 1_000;

/** Settles once the pipe closed: all it carried has been passed on. */
function closeOf(pipe: Socket): Promise<void> {
	return new Promise(resolve => {
		if (pipe.closed) resolve();
		pipe.once('close', () => resolve());
	});
}

/**
 * Starts `file` through the spawner, in a session of its own: a start holds the core's event loop for one message,
 * not a fork of the core. The pipes come from the spawner a moment later; until then what is written to stdin waits.
 */
export function startPipedProcess(file: string, args: string[], options: PipedProcessOptions): PipedProcess {
	const stdin = new PassThrough();
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	const outputsClosed: Promise<void>[] = [];
	const remote = sharedSpawner().start({file, args, cwd: options.cwd, env: options.env}, (fd, pipe) => {
		// A worker that exits stops reading: writing to it then fails, and that is no error of ours.
		pipe.on('error', () => undefined);
		if (fd === 0) {
			stdin.pipe(pipe);
			return;
		}
		outputsClosed.push(closeOf(pipe));
		pipe.pipe(fd === 1 ? stdout : stderr);
	});
	remote.started.catch(() => {
		stdout.end();
		stderr.end();
	});
	const ended = remote.ended.then(async end => {
		let timer: NodeJS.Timeout | undefined;
		const late = new Promise<void>(resolve => {
			timer = setTimeout(resolve, DRAIN_MS);
		});
		await Promise.race([Promise.all(outputsClosed), late]);
		clearTimeout(timer);
		return end;
	});
	return {started: remote.started, stdin, stdout, stderr, ended};
}
