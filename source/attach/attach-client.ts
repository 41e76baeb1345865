import {connectToSocket} from '../mcp/socket-server.js';

/** Ctrl-]: the detach key, as in telnet and ccmanager; no TUI uses it. */
const DETACH_KEY = '\u001D';
/** Erase the screen and the scrollback, cursor home: nothing of the dashboard stays under the worker's screen. */
const CLEAR_SCREEN = '\u001B[2J\u001B[3J\u001B[H';

export type AttachStreams = {
	stdin: NodeJS.ReadStream;
	stdout: NodeJS.WriteStream;
};

/**
 * Puts the terminal in raw mode and connects it to a worker's own screen until Ctrl-] or the worker ends.
 * Resolves with why it ended.
 */
export async function attachTerminal(socketPath: string, taskId: string, {stdin, stdout}: AttachStreams): Promise<'detached' | 'ended'> {
	const socket = await connectToSocket(socketPath, {timeoutMs: 2_000});
	const send = (message: object) => socket.write(`${JSON.stringify(message)}\n`);
	send({attach: taskId, columns: stdout.columns || 80, rows: stdout.rows || 24});
	const first = await new Promise<{ok?: boolean; error?: string; rest: Buffer}>((resolve, reject) => {
		let buffered = Buffer.alloc(0);
		const onData = (chunk: Buffer) => {
			buffered = Buffer.concat([buffered, chunk]);
			const end = buffered.indexOf(10);
			if (end === -1) return;
			socket.off('data', onData);
			try {
				resolve({...(JSON.parse(buffered.subarray(0, end).toString('utf8')) as {ok?: boolean; error?: string}), rest: buffered.subarray(end + 1)});
			} catch (error) {
				reject(error instanceof Error ? error : new Error(String(error)));
			}
		};
		socket.on('data', onData);
		socket.once('close', () => reject(new Error('The core closed the connection before answering.')));
	});
	if (!first.ok) {
		socket.destroy();
		throw new Error(first.error ?? 'The core refused to attach.');
	}
	const wasRaw = stdin.isRaw;
	if (stdin.isTTY) stdin.setRawMode(true);
	stdin.resume();
	// The worker redraws its whole screen for the attach (see attach-server): it starts on a clean one.
	stdout.write(`${CLEAR_SCREEN}`);
	stdout.write(first.rest);
	return new Promise(resolve => {
		let reason: 'detached' | 'ended' = 'ended';
		const onInput = (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			const at = text.indexOf(DETACH_KEY);
			if (at !== -1) {
				if (at > 0) send({input: text.slice(0, at)});
				reason = 'detached';
				socket.end();
				return;
			}
			send({input: text});
		};
		const onResize = () => send({resize: [stdout.columns, stdout.rows]});
		stdin.on('data', onInput);
		stdout.on('resize', onResize);
		socket.on('data', (chunk: Buffer) => stdout.write(chunk));
		socket.on('close', () => {
			stdin.off('data', onInput);
			stdout.off('resize', onResize);
			if (stdin.isTTY) stdin.setRawMode(wasRaw);
			stdin.pause();
			resolve(reason);
		});
	});
}
