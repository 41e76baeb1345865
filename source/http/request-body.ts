import type {IncomingMessage} from 'node:http';
import {MAX_PROMPT_CHARS} from '../core/domain/task-spec.js';
import {HttpError} from './router.js';

/** The largest body taken: a prompt at its longest (MAX_PROMPT_CHARS) with room for the other fields. */
export const MAX_BODY_BYTES = MAX_PROMPT_CHARS + 1024 * 1024;

/**
 * The request's body as JSON: an object (`{}` when the body is empty). 413 past `maxBytes` (the upload is cut off
 * there, not read to its end), 400 when it is not JSON or not an object.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
	const tooLarge = () =>
		new HttpError(
			413,
			`The body is larger than ${maxBytes.toLocaleString('en-US')} bytes, the most this server takes; send a shorter prompt or put it in a file the worker reads.`,
			{Connection: 'close'},
		);
	const declared = Number(request.headers['content-length']);
	if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > maxBytes) throw tooLarge();
		chunks.push(chunk);
	}
	const text = Buffer.concat(chunks).toString('utf8');
	if (!text.trim()) return {};
	try {
		return JSON.parse(text) as unknown;
	} catch (error) {
		throw new HttpError(400, `The body is not valid JSON (${(error as Error).message}). Send a JSON object with Content-Type: application/json.`);
	}
}

/** The body as a JSON object; 400 for an array, a string, a number. */
export async function readJsonObject(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
	const body = await readJsonBody(request, maxBytes);
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new HttpError(400, `The body must be a JSON object ({"field": value, …}), got ${Array.isArray(body) ? 'an array' : typeof body}.`);
	}
	return body as Record<string, unknown>;
}
