// The spawner: a small, long-lived child of the core that starts the workers' processes for it. A process start
// forks its parent, and forking the core (130 MB and more, its page tables copied) held the core's event loop for
// milliseconds per start; forking this process costs a fraction and holds nothing of the core's. The core opens each
// worker's terminal itself and keeps its master end: the output never passes through here. Loads only node built-ins.
import {spawn} from 'node:child_process';
import {closeSync, constants, openSync} from 'node:fs';
import type {Socket} from 'node:net';
import type {SpawnerMessage, SpawnRequest} from './spawner-protocol.js';
import {messageOf} from '../../core/domain/errors.js';

function send(message: SpawnerMessage): void {
	process.send?.(message);
}

/** A process with pipes, in its own session (so the core can end its whole group), its pipes handed to the core. */
function startPiped(request: SpawnRequest): void {
	const {id} = request;
	try {
		const child = spawn(request.file, request.args, {cwd: request.cwd, env: request.env, detached: true, stdio: 'pipe'});
		// Node starts reading a child's output pipes at once; whatever this process read would be lost when the pipe is
		// handed over. Nothing can have been read yet (reads happen later in this turn of the loop), so stop reading:
		// every byte stays in the pipe for the core.
		for (const output of [child.stdout, child.stderr]) (output as unknown as {_handle?: {readStop(): void}})._handle?.readStop();
		child.once('spawn', () => {
			send({type: 'spawned', id, pid: child.pid!});
			// Sending a pipe closes this end of it here: from now on it is the core's alone. (With stdio 'pipe' each is a
			// net.Socket on a pipe, the kind a message can carry.)
			process.send?.({type: 'stdio', id, fd: 0} satisfies SpawnerMessage, child.stdin as Socket);
			process.send?.({type: 'stdio', id, fd: 1} satisfies SpawnerMessage, child.stdout as Socket);
			process.send?.({type: 'stdio', id, fd: 2} satisfies SpawnerMessage, child.stderr as Socket);
		});
		child.once('error', error => send({type: 'failed', id, message: error.message}));
		child.once('exit', (exitCode, signal) => send({type: 'exit', id, exitCode, signal}));
	} catch (error) {
		send({type: 'failed', id, message: messageOf(error)});
	}
}

function start(request: SpawnRequest): void {
	const {id} = request;
	if (request.tty === undefined) {
		startPiped(request);
		return;
	}
	let fd: number | undefined;
	try {
		fd = openSync(request.tty, constants.O_RDWR | constants.O_NOCTTY);
		// setsid --ctty makes the new process a session leader with the terminal as its controlling terminal (what
		// forkpty does), then execs the file in place: the pid is the worker's. Job control and SIGWINCH work as in a
		// terminal.
		const child = spawn('setsid', ['--ctty', request.file, ...request.args], {cwd: request.cwd, env: request.env, stdio: [fd, fd, fd]});
		child.once('spawn', () => send({type: 'spawned', id, pid: child.pid!}));
		child.once('error', error => send({type: 'failed', id, message: error.message}));
		child.once('exit', (exitCode, signal) => send({type: 'exit', id, exitCode, signal}));
	} catch (error) {
		send({type: 'failed', id, message: messageOf(error)});
	} finally {
		// The child has its own copy since spawn() returned; the core still holds one until it hears 'spawned'.
		if (fd !== undefined) closeSync(fd);
	}
}

process.on('message', message => start(message as SpawnRequest));
// The core is gone: the workers it started end with their terminals, which it held.
process.on('disconnect', () => process.exit(0));
