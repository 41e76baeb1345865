import {type Socket} from 'node:net';
import {type Readable, type Writable} from 'node:stream';
import {clientCwdStamp} from './client-cwd.js';
import {connectToSocket} from './socket-server.js';

/** After stdin ends, how long the core gets to finish the connection before the bridge cuts it. */
export const BRIDGE_END_GRACE_MS = 2000;

export type StdioBridgeOptions = {
	socketPath: string;
	stdin: Readable;
	/** Carries only bytes from the core: the MCP client reads every byte here as protocol. */
	stdout: Writable;
	/** Where the bridge reports failures. */
	stderr: Writable;
	/** @default SOCKET_CONNECT_TIMEOUT_MS */
	connectTimeoutMs?: number;
	/** The MCP client's working directory, told to the core in initialize's params._meta (see client-cwd.ts). */
	cwd?: string;
};

function errnoCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Resolves once everything written to `stream` so far has been handed to the OS, so an exit loses no reply. */
async function flush(stream: Writable): Promise<void> {
	if (stream.destroyed || stream.writableEnded) return;
	await new Promise<void>(resolve => {
		stream.write('', () => resolve());
	});
}

/**
 * `ccfleet mcp`: joins an MCP client on stdio (Claude Code) to the core's socket as a pure byte pipe; both ends speak
 * newline-delimited JSON, so nothing is parsed here.
 *
 * Resolves with the exit code once either side is done: stdin ending half-closes the socket and waits for the core to
 * close it (0); the core closing gives 0, a socket error 1 with a line on stderr.
 */
export async function runStdioBridge(options: StdioBridgeOptions): Promise<number> {
	const {socketPath, stdin, stdout, stderr} = options;
	const report = (message: string) => {
		stderr.write(`ccfleet mcp: ${message}\n`);
	};

	let socket: Socket;
	try {
		socket = await connectToSocket(socketPath, options.connectTimeoutMs === undefined ? {} : {timeoutMs: options.connectTimeoutMs});
	} catch (error) {
		report((error as Error).message);
		return 1;
	}

	// Everything else passes as bytes; only the first line (initialize) may gain the client's directory.
	const upstream = options.cwd === undefined ? stdin : stdin.pipe(clientCwdStamp(options.cwd));
	const exitCode = await new Promise<number>(resolve => {
		let failure: string | undefined;
		let graceTimer: NodeJS.Timeout | undefined;

		let isStdinDone = false;
		const handleStdinEnd = () => {
			isStdinDone = true;
			graceTimer = setTimeout(() => socket.destroy(), BRIDGE_END_GRACE_MS);
		};

		const handleStdinError = (error: Error) => {
			failure ??= `reading stdin failed: ${error.message}`;
			socket.destroy();
		};

		const handleStdoutError = (error: Error) => {
			// EPIPE: the MCP client stopped reading because it went away, which is a normal end of the session.
			if (errnoCode(error) !== 'EPIPE') failure ??= `writing stdout failed: ${error.message}`;
			socket.destroy();
		};

		const handleSocketError = (error: Error) => {
			failure ??= `lost the connection to the ccfleet core at ${socketPath}: ${error.message}`;
		};

		const handleSocketClose = () => {
			clearTimeout(graceTimer);
			upstream.unpipe(socket);
			stdin.unpipe();
			stdin.off('end', handleStdinEnd);
			stdin.off('error', handleStdinError);
			stdout.off('error', handleStdoutError);
			// Nothing reads stdin any more; pausing lets a process whose stdin stays open exit.
			stdin.pause();
			if (failure !== undefined) report(failure);
			// The core went away under a session still open (ccfleet stop, a crash): not this bridge's failure, but the
			// client's log should say why its server ended and how to get it back.
			else if (!isStdinDone) report(`the ccfleet core closed the connection (it stopped or restarted); reconnect (in Claude Code: /mcp) to start it again.`);
			resolve(failure === undefined ? 0 : 1);
		};

		socket.on('error', handleSocketError);
		socket.once('close', handleSocketClose);
		stdin.once('end', handleStdinEnd);
		stdin.on('error', handleStdinError);
		stdout.on('error', handleStdoutError);
		// stdin's end becomes the socket's end (a half-close) through pipe(); stdout stays open since it is not ours.
		upstream.pipe(socket);
		socket.pipe(stdout, {end: false});
	});

	await flush(stdout);
	return exitCode;
}
