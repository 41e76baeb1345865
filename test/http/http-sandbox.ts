import {readFileSync} from 'node:fs';
import path from 'node:path';
import type {ChildProcess} from 'node:child_process';
import {request as httpRequest, type IncomingHttpHeaders} from 'node:http';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

/** A real daemon serving HTTP on a free loopback port, with a read-write and a read-only token. */
export type HttpSandbox = {
	sandbox: Sandbox;
	daemon: ChildProcess;
	url: string;
	token: string;
	readOnlyToken: string;
	/** A request with `token` (the read-write one unless given; undefined: no Authorization header), from `from` (a loopback address) when given. */
	call(method: string, route: string, options?: CallOptions): Promise<HttpAnswer>;
	cleanup(): Promise<void>;
};

async function createToken(sandbox: Sandbox, name: string, readOnly = false): Promise<string> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['token', 'create', '--name', name, ...(readOnly ? ['--read-only'] : [])]);
	if (exitCode !== 0) throw new Error(`token create failed: ${stderr}`);
	return stdout.trim();
}

/** The URL the daemon logged in its ready line (CCFLEET_HTTP asks for port 0: the system picks one). */
function loggedUrl(home: string): string | undefined {
	try {
		const log = readFileSync(path.join(home, 'logs', 'ccfleet.log'), 'utf8');
		return /"http":"(https?:\/\/[^"]+)"/.exec(log)?.[1];
	} catch {
		return undefined;
	}
}

export type CallOptions = {token?: string | undefined; body?: unknown; headers?: Record<string, string>; from?: string};
export type HttpAnswer = {status: number; headers: IncomingHttpHeaders; text: string; json(): Record<string, unknown> & {error?: string}};

/**
 * One request through node:http (not fetch: a test of the per-address limit sends from other loopback addresses,
 * 127.0.0.2 and up, which fetch cannot choose).
 */
export function request(base: string, method: string, route: string, options: CallOptions = {}): Promise<HttpAnswer> {
	const body = options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
	const headers: Record<string, string | number> = {
		...(options.token ? {Authorization: `Bearer ${options.token}`} : {}),
		...(body === undefined ? {} : {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)}),
		...options.headers,
	};
	return new Promise((resolve, reject) => {
		const outgoing = httpRequest(`${base}${route}`, {method, headers, ...(options.from ? {localAddress: options.from} : {})}, incoming => {
			const chunks: Buffer[] = [];
			incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
			incoming.on('error', reject);
			incoming.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolve({status: incoming.statusCode ?? 0, headers: incoming.headers, text, json: () => JSON.parse(text) as Record<string, unknown>});
			});
		});
		outgoing.on('error', reject);
		outgoing.end(body);
	});
}

export async function createHttpSandbox(daemonEnv: Record<string, string> = {}): Promise<HttpSandbox> {
	const sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	const token = await createToken(sandbox, 'test');
	const readOnlyToken = await createToken(sandbox, 'viewer', true);
	const daemon = await sandbox.startDaemon({CCFLEET_HTTP: '127.0.0.1:0', ...daemonEnv});
	const url = await waitFor('the daemon to log its HTTP address', () => loggedUrl(sandbox.home));
	return {
		sandbox,
		daemon,
		url,
		token,
		readOnlyToken,
		call: (method, route, options = {}) => request(url, method, route, {...options, token: 'token' in options ? options.token : token}),
		cleanup: () => sandbox.cleanup(),
	};
}

/** Reads server-sent events from a fetch() response, as the page does: {event, data} per event, comments skipped. */
export async function* readEvents(response: Response): AsyncGenerator<{event: string; data: unknown}> {
	const decoder = new TextDecoder();
	let buffer = '';
	for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
		buffer += decoder.decode(chunk, {stream: true});
		let end: number;
		while ((end = buffer.indexOf('\n\n')) !== -1) {
			const block = buffer.slice(0, end);
			buffer = buffer.slice(end + 2);
			const lines = block.split('\n').filter(line => !line.startsWith(':'));
			if (lines.length === 0) continue;
			const event = lines.find(line => line.startsWith('event: '))?.slice(7) ?? 'message';
			const data = lines
				.filter(line => line.startsWith('data: '))
				.map(line => line.slice(6))
				.join('\n');
			yield {event, data: JSON.parse(data) as unknown};
		}
	}
}
