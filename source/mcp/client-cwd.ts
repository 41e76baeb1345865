import {Transform} from 'node:stream';

/**
 * Where `ccfleet mcp` tells the core the directory its MCP client (Claude Code) runs in: an experimental capability of
 * the `initialize` request (`capabilities.experimental.ccfleet.cwd`), which the server keeps with the client's other
 * capabilities, so that the tools can read it later as the default working directory of delegate_task.
 */
export const STATED_CWD_CAPABILITY = 'ccfleet';

/** Longest first line looked into; a longer one passes untouched. */
const MAX_FIRST_LINE_BYTES = 1024 * 1024;

type Initialize = {method: 'initialize'; params?: {capabilities?: {experimental?: Record<string, unknown>}}};

function isInitialize(message: unknown): message is Initialize {
	return typeof message === 'object' && message !== null && (message as {method?: unknown}).method === 'initialize';
}

/** The line with `cwd` added to an initialize request's capabilities; any other line as it was. A cwd the client stated itself wins. */
export function withClientCwd(line: string, cwd: string): string {
	let message: unknown;
	try {
		message = JSON.parse(line);
	} catch {
		return line;
	}
	if (!isInitialize(message)) return line;
	const params = message.params ?? {};
	const capabilities = params.capabilities ?? {};
	const experimental = capabilities.experimental ?? {};
	const stated = (experimental[STATED_CWD_CAPABILITY] ?? {}) as Record<string, unknown>;
	const ccfleet = {cwd, ...stated};
	return JSON.stringify({...message, params: {...params, capabilities: {...capabilities, experimental: {...experimental, [STATED_CWD_CAPABILITY]: ccfleet}}}});
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
