import type {IncomingMessage, ServerResponse} from 'node:http';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
export const SSE_KEEPALIVE_MS = 15_000;
/**
 * Bytes a stream may hold unsent for a client that does not read (a phone asleep on a slow network): past them the
 * stream is cut rather than grown without bound in the core's memory. The page reconnects and starts from a snapshot.
 */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export type SseStream = {
	send(event: string, data: unknown): void;
	/** Ends the stream; idempotent. Runs the cleanups given to onClose. */
	close(): void;
	/** Runs when the stream ends, by close() or because the client went away. */
	onClose(cleanup: () => void): void;
};

/** Whether the client asked for a stream (Accept: text/event-stream) rather than a document. */
export function wantsEventStream(request: IncomingMessage): boolean {
	return (request.headers.accept ?? '').includes('text/event-stream');
}

/** Starts a server-sent event stream on `response`: `event:` and `data:` (one JSON line) per event, a comment every SSE_KEEPALIVE_MS. */
export function startSse(response: ServerResponse, keepaliveMs = SSE_KEEPALIVE_MS, maxBufferedBytes = SSE_MAX_BUFFERED_BYTES): SseStream {
	response.writeHead(200, {'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no'});
	response.flushHeaders();
	const cleanups: (() => void)[] = [];
	let isClosed = false;
	const keepalive = setInterval(() => response.write(': keepalive\n\n'), keepaliveMs);
	const finish = () => {
		if (isClosed) return;
		isClosed = true;
		clearInterval(keepalive);
		for (const cleanup of cleanups.splice(0)) cleanup();
	};
	// The response's close, not the request's: a GET's request "closes" as soon as its (empty) body was read.
	response.once('close', finish);
	return {
		send(event, data) {
			if (isClosed) return;
			// Measured before writing, so one large event (a log's first flush) still goes to a client that keeps up.
			if (response.writableLength > maxBufferedBytes) {
				finish();
				response.destroy();
				return;
			}
			response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
		},
		close() {
			finish();
			response.end();
		},
		onClose(cleanup) {
			if (isClosed) cleanup();
			else cleanups.push(cleanup);
		},
	};
}
