import type {Socket} from 'node:net';
import {createInterface} from 'node:readline';
import type {Fleet} from '../core/fleet.js';
import {messageOf} from '../core/domain/errors.js';

/**
 * The attach protocol, on its own Unix socket beside the MCP one. The client sends NDJSON: first
 * `{"attach": id, "columns": c, "rows": r}`, then `{"input": text}` and `{"resize": [c, r]}`. The server answers
 * one JSON line, `{"ok": true}` or `{"error": message}`, then the worker's raw terminal output until it ends.
 */
export type AttachRequest = {attach?: unknown; columns?: unknown; rows?: unknown; input?: unknown; resize?: unknown};

const MAX_LINE_CHARS = 1024 * 1024;
/** Between the two resizes that make the worker redraw: long enough for claude to see two changes, not one. */
const REDRAW_DELAY_MS = 80;

export function serveAttach(fleet: Fleet, socket: Socket): void {
	let session: ReturnType<Fleet['attach']> | undefined;
	let offEnded: (() => void) | undefined;
	let redraw: NodeJS.Timeout | undefined;
	const finish = () => {
		clearTimeout(redraw);
		session?.detach();
		session = undefined;
		offEnded?.();
		if (!socket.destroyed) socket.end();
	};
	socket.on('error', () => finish());
	socket.on('close', () => finish());
	const lines = createInterface({input: socket, crlfDelay: Number.POSITIVE_INFINITY});
	lines.on('line', line => {
		if (line.length > MAX_LINE_CHARS) return;
		let message: AttachRequest;
		try {
			message = JSON.parse(line) as AttachRequest;
		} catch {
			return;
		}
		if (!session) {
			if (typeof message.attach !== 'string') {
				socket.end(`${JSON.stringify({error: 'The first message must be {"attach": "<task id>", "columns": N, "rows": N}.'})}\n`);
				return;
			}
			const id = message.attach;
			const columns = Number(message.columns) || 80;
			const rows = Number(message.rows) || 24;
			try {
				session = fleet.attach(id, data => socket.write(data), {columns, rows});
				// A worker already at this size gets no SIGWINCH from the resize, so claude would draw nothing new and the
				// person would see fragments until Ctrl-L. One row less and back makes it redraw its whole screen.
				session.resize(columns, Math.max(5, rows - 1));
				redraw = setTimeout(() => session?.resize(columns, rows), REDRAW_DELAY_MS);
			} catch (error) {
				socket.end(`${JSON.stringify({error: messageOf(error)})}\n`);
				return;
			}
			// The worker ending ends the attachment.
			offEnded = fleet.on('task:updated', ({task}) => {
				if (task.id === id && task.status !== 'running' && task.status !== 'needs_input') finish();
			});
			socket.write(`${JSON.stringify({ok: true})}\n`);
			return;
		}
		if (typeof message.input === 'string') session.write(message.input);
		if (Array.isArray(message.resize)) session.resize(Number(message.resize[0]) || 80, Number(message.resize[1]) || 24);
	});
}
