import type {IncomingMessage} from 'node:http';
import {MAX_PROMPT_CHARS} from '../core/domain/task-spec.js';
import {HttpError} from './router.js';

/** The largest body taken: a prompt at its longest (MAX_PROMPT_CHARS) with room for the other fields. */
export const MAX_BODY_BYTES = MAX_PROMPT_CHARS + 1024 * 1024;

/**
 * How much of a refused body is read and dropped after the 413. Its sender is still writing when the answer comes;
 * a connection closed under its writes is reset, and a reset that overtakes the answer loses it (the client sees
 * EPIPE or ECONNRESET instead of why). Past this much the connection is closed all the same.
 */
const MOST_DROPPED_BYTES = 64 * 1024 * 1024;

/**
 * The request's body as JSON: an object (`{}` when the body is empty). 413 past `maxBytes` — what follows is read
 * and dropped (up to MOST_DROPPED_BYTES), never kept —, 400 when it is not JSON or not an object.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
	const tooLarge = () =>
		new HttpError(
			413,
			`The body is larger than ${maxBytes.toLocaleString('en-US')} bytes, the most this server takes; send a shorter prompt or put it in a file the worker reads.`,
		);
	const declared = Number(request.headers['content-length']);
	if (Number.isFinite(declared) && declared > maxBytes) {
		dropTheRest(request, 0);
		throw tooLarge();
	}
	const text = await new Promise<string>((resolve, reject) => {
		let chunks: Buffer[] = [];
		let size = 0;
		const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size <= maxBytes) {
				chunks.push(chunk);
				return;
			}
			// Refused: what was kept goes now, not when the dropped rest ends.
			request.off('data', onData);
			request.off('end', onEnd);
			chunks = [];
			dropTheRest(request, size);
			reject(tooLarge());
		};
		request.on('data', onData);
		request.once('end', onEnd);
		request.once('error', reject);
	});
	if (!text.trim()) return {};
	try {
		return JSON.parse(text) as unknown;
	} catch (error) {
		throw new HttpError(400, `The body is not valid JSON (${(error as Error).message}). Send a JSON object with Content-Type: application/json.`);
	}
}

/** Reads what is left of a refused body without keeping it, closing the connection past MOST_DROPPED_BYTES. */
function dropTheRest(request: IncomingMessage, alreadyRead: number): void {
	let dropped = alreadyRead;
	request.on('data', (chunk: Buffer) => {
		dropped += chunk.length;
		if (dropped > MOST_DROPPED_BYTES) request.socket.destroy();
	});
	request.resume();
}

/** The body as a JSON object; 400 for an array, a string, a number. */
export async function readJsonObject(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
	const body = await readJsonBody(request, maxBytes);
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new HttpError(400, `The body must be a JSON object ({"field": value, …}), got ${Array.isArray(body) ? 'an array' : typeof body}.`);
	}
	return body as Record<string, unknown>;
}
