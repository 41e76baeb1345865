import {type Socket} from 'node:net';
import {serializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE} from '@modelcontextprotocol/sdk/shared/stdio.js';
import {type Transport} from '@modelcontextprotocol/sdk/shared/transport.js';
import {JSONRPCMessageSchema, type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
import {clarifySdkError, invalidRequestLine, looksLikeResponse, parseErrorLine, tooLargeLine, type JsonRpcErrorLine} from './jsonrpc-errors.js';

/** How long `close()` waits for the peer to finish the connection before cutting it. */
const SOCKET_CLOSE_GRACE_MS = 1000;

export type SocketTransportOptions = {
	/** Largest message (bytes of one unfinished line) accepted before the connection is cut. @default 10 MiB (the SDK's stdio limit) */
	maxBufferSize?: number;
};

/** The transport was closed (by either side) before a message could be sent. */
export class TransportClosedError extends Error {
	constructor() {
		super('Cannot send an MCP message: the socket connection to the ccfleet core is closed.');
		this.name = this.constructor.name;
	}
}

/**
 * MCP transport over one connected `net.Socket`, framed as newline-delimited JSON like the SDK's stdio transport,
 * so a byte pipe (the stdio bridge) can join the two.
 *
 * - `onclose` fires exactly once, whichever side ends the connection.
 * - A line that is not a JSON-RPC message is reported through `onerror`, answered (-32700 when it is not JSON, -32600
 *   when it is not a valid request, with its id when it had one) so no client waits for its own timeout, and skipped;
 *   the connection lives on. A malformed response is never answered, so two peers cannot answer each other forever.
 * - A line longer than `maxBufferSize` is reported through `onerror`, answered, and the socket is closed, since the
 *   framing can no longer be trusted.
 * - The SDK's internal errors for a bad request (its raw zod dump for bad params, resources/read's bare "Invalid URL")
 *   leave as a one-line -32602.
 */
export class SocketTransport implements Transport {
	onclose?: () => void;
	onerror?: (error: Error) => void;
	onmessage?: (message: JSONRPCMessage) => void;
	sessionId?: string;

	readonly #socket: Socket;
	readonly #maxBufferSize: number;
	// The unfinished line, as chunks: joining only at its newline keeps a long line linear to read.
	#pending: Buffer[] = [];
	#pendingBytes = 0;
	// The method of each request still unanswered, so an error answer can name what it answers.
	readonly #methodsById = new Map<string | number, string>();
	#isStarted = false;
	#isClosed = false;
	// After an oversized line: the rest of the stream cannot be framed, so it is dropped until the socket closes.
	#isDiscarding = false;
	#hasReportedClose = false;
	#closed: Promise<void>;
	#resolveClosed!: () => void;

	constructor(socket: Socket, options: SocketTransportOptions = {}) {
		this.#socket = socket;
		this.#maxBufferSize = options.maxBufferSize ?? STDIO_DEFAULT_MAX_BUFFER_SIZE;
		this.#closed = new Promise(resolve => {
			this.#resolveClosed = resolve;
		});
		// Listen from the start, not from start(): a socket that errors before start() would otherwise crash the process
		// with an unhandled 'error', and a close before start() would go unseen.
		socket.on('error', this.#handleError);
		socket.on('close', this.#handleClose);
	}

	async start(): Promise<void> {
		if (this.#isStarted) throw new Error('SocketTransport already started. Use one transport per connection.');
		this.#isStarted = true;
		if (this.#isClosed) {
			// The socket closed before the protocol attached; tell it once it has finished connecting.
			queueMicrotask(() => this.#reportClose());
			return;
		}

		this.#socket.on('data', this.#handleData);
	}

	async send(message: JSONRPCMessage): Promise<void> {
		if (this.#isClosed || !this.#socket.writable) throw new TransportClosedError();
		let method: string | undefined;
		if (('result' in message || 'error' in message) && message.id !== undefined) {
			method = this.#methodsById.get(message.id);
			this.#methodsById.delete(message.id);
		}
		const line = serializeMessage(clarifySdkError(message, method));
		// The write callback fires once the bytes reach the kernel, so awaiting send() also respects backpressure.
		await new Promise<void>((resolve, reject) => {
			this.#socket.write(line, error => {
				if (error) reject(error);
				else resolve();
			});
		});
	}

	async close(): Promise<void> {
		if (this.#isClosed) return;
		const graceTimer = setTimeout(() => this.#socket.destroy(), SOCKET_CLOSE_GRACE_MS);
		graceTimer.unref();
		this.#socket.end();
		await this.#closed;
		clearTimeout(graceTimer);
	}

	// Arrow fields keep `this` bound and give each handler one identity.
	readonly #handleData = (chunk: Buffer): void => {
		let rest = chunk;
		while (!this.#isClosed && !this.#isDiscarding) {
			const newline = rest.indexOf(0x0a);
			if (newline === -1) {
				if (rest.length > 0) this.#pending.push(rest);
				this.#pendingBytes += rest.length;
				if (this.#pendingBytes > this.#maxBufferSize) this.#refuseOversized();
				return;
			}

			this.#pending.push(rest.subarray(0, newline));
			const line = Buffer.concat(this.#pending).toString('utf8').replace(/\r$/, '');
			this.#pending = [];
			this.#pendingBytes = 0;
			rest = rest.subarray(newline + 1);
			if (Buffer.byteLength(line) > this.#maxBufferSize) {
				this.#refuseOversized();
				return;
			}

			if (line.trim() !== '') this.#handleLine(line);
		}
	};

	#handleLine(line: string): void {
		let value: unknown;
		try {
			value = JSON.parse(line);
		} catch (error) {
			this.onerror?.(new Error(`Skipped a line that is not a JSON-RPC message: ${(error as Error).message}`, {cause: error}));
			this.#answer(parseErrorLine((error as Error).message));
			return;
		}

		const parsed = JSONRPCMessageSchema.safeParse(value);
		if (!parsed.success) {
			this.onerror?.(new Error(`Skipped a line that is not a JSON-RPC message: ${parsed.error.message}`, {cause: parsed.error}));
			if (!looksLikeResponse(value)) this.#answer(invalidRequestLine(value));
			return;
		}

		const message = parsed.data;
		if ('method' in message && 'id' in message) this.#methodsById.set(message.id, message.method);
		try {
			this.onmessage?.(message);
		} catch (error) {
			// A throw here would escape the socket's 'data' event and take the whole process down.
			this.onerror?.(error as Error);
		}
	}

	/** Writes an error answer; a peer that went away meanwhile is no failure of ours. */
	#answer(reply: JsonRpcErrorLine): void {
		if (this.#isClosed || !this.#socket.writable) return;
		this.#socket.write(`${JSON.stringify(reply)}\n`);
	}

	#refuseOversized(): void {
		this.#pending = [];
		this.#pendingBytes = 0;
		this.onerror?.(new Error(`An MCP message exceeded the size limit of ${this.#maxBufferSize} bytes; closing the connection.`));
		this.#answer(tooLargeLine(this.#maxBufferSize));
		// end() lets the answer reach the peer first; the grace timer cuts a peer that never finishes its side.
		this.#socket.end();
		setTimeout(() => this.#socket.destroy(), SOCKET_CLOSE_GRACE_MS).unref();
		this.#isDiscarding = true;
	}

	readonly #handleError = (error: Error): void => {
		this.onerror?.(error);
	};

	readonly #handleClose = (): void => {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#pending = [];
		this.#methodsById.clear();
		this.#resolveClosed();
		if (this.#isStarted) this.#reportClose();
	};

	#reportClose(): void {
		if (this.#hasReportedClose) return;
		this.#hasReportedClose = true;
		this.onclose?.();
	}
}
