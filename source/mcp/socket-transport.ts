import {type Socket} from 'node:net';
import {ReadBuffer, serializeMessage} from '@modelcontextprotocol/sdk/shared/stdio.js';
import {type Transport} from '@modelcontextprotocol/sdk/shared/transport.js';
import {type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';

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
 * - A line that is not a JSON-RPC message is reported through `onerror` and skipped; the connection lives on.
 * - A line longer than `maxBufferSize` is reported through `onerror` and the socket is destroyed, since the framing can
 *   no longer be trusted.
 */
export class SocketTransport implements Transport {
	onclose?: () => void;
	onerror?: (error: Error) => void;
	onmessage?: (message: JSONRPCMessage) => void;
	sessionId?: string;

	readonly #socket: Socket;
	readonly #readBuffer: ReadBuffer;
	#isStarted = false;
	#isClosed = false;
	#hasReportedClose = false;
	#closed: Promise<void>;
	#resolveClosed!: () => void;

	constructor(socket: Socket, options: SocketTransportOptions = {}) {
		this.#socket = socket;
		this.#readBuffer = new ReadBuffer(options.maxBufferSize === undefined ? undefined : {maxBufferSize: options.maxBufferSize});
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
		const line = serializeMessage(message);
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
		try {
			this.#readBuffer.append(chunk);
		} catch (error) {
			this.onerror?.(new Error(`An MCP message exceeded the size limit; closing the connection. ${(error as Error).message}`, {cause: error}));
			this.#socket.destroy();
			return;
		}

		while (!this.#isClosed) {
			let message: JSONRPCMessage | null;
			try {
				message = this.#readBuffer.readMessage();
			} catch (error) {
				// ReadBuffer drops the offending line before it parses it, so the next iteration moves on.
				this.onerror?.(new Error(`Skipped a line that is not a JSON-RPC message: ${(error as Error).message}`, {cause: error}));
				continue;
			}

			if (message === null) break;
			try {
				this.onmessage?.(message);
			} catch (error) {
				// A throw here would escape the socket's 'data' event and take the whole process down.
				this.onerror?.(error as Error);
			}
		}
	};

	readonly #handleError = (error: Error): void => {
		this.onerror?.(error);
	};

	readonly #handleClose = (): void => {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#readBuffer.clear();
		this.#resolveClosed();
		if (this.#isStarted) this.#reportClose();
	};

	#reportClose(): void {
		if (this.#hasReportedClose) return;
		this.#hasReportedClose = true;
		this.onclose?.();
	}
}
