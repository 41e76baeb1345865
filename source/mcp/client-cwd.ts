import {Transform} from 'node:stream';

/**
 * Where `ccfleet mcp` tells the core the directory its MCP client (Claude Code) runs in: a key of the `initialize`
 * request's `params._meta`, which MCP leaves to implementations. The core can read it from the first message of a
 * connection, e.g. as the default working directory of delegate_task.
 */
export const CLIENT_CWD_META = 'ccfleet/cwd';

/** Longest first line looked into; a longer one passes untouched. */
const MAX_FIRST_LINE_BYTES = 1024 * 1024;

type Initialize = {method: 'initialize'; params?: {_meta?: Record<string, unknown>}};

function isInitialize(message: unknown): message is Initialize {
	return typeof message === 'object' && message !== null && (message as {method?: unknown}).method === 'initialize';
}

/** The line with `cwd` added to an initialize request's params._meta; any other line as it was. */
export function withClientCwd(line: string, cwd: string): string {
	let message: unknown;
	try {
		message = JSON.parse(line);
	} catch {
		return line;
	}
	if (!isInitialize(message)) return line;
	const params = message.params ?? {};
	return JSON.stringify({...message, params: {...params, _meta: {...params._meta, [CLIENT_CWD_META]: cwd}}});
}

/** Passes bytes through untouched, except the first line (MCP's initialize comes first), which gets `cwd`. */
export function clientCwdStamp(cwd: string): Transform {
	let head: Buffer | undefined = Buffer.alloc(0);
	return new Transform({
		transform(chunk: Buffer, _encoding, done) {
			if (head === undefined) {
				done(null, chunk);
				return;
			}
			head = Buffer.concat([head, chunk]);
			const newline = head.indexOf(0x0a);
			if (newline === -1 && head.length < MAX_FIRST_LINE_BYTES) {
				done();
				return;
			}
			const rest = head;
			head = undefined;
			if (newline === -1) {
				done(null, rest);
				return;
			}
			done(null, Buffer.concat([Buffer.from(withClientCwd(rest.subarray(0, newline).toString(), cwd)), rest.subarray(newline)]));
		},
		flush(done) {
			done(null, head && head.length > 0 ? head : undefined);
		},
	});
}
