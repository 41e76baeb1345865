import {randomBytes, timingSafeEqual} from 'node:crypto';
import http from 'node:http';
import type {AddressInfo} from 'node:net';

/** The hook events a worker forwards; see research/claude-cli.md D. */
const FORWARDED_HOOKS = [
	'SessionStart',
	'UserPromptSubmit',
	'PreToolUse',
	'PostToolUse',
	'PostToolUseFailure',
	'PermissionRequest',
	'PermissionDenied',
	'Notification',
	'Stop',
	'StopFailure',
	'SessionEnd',
] as const;
export type HookEvent = (typeof FORWARDED_HOOKS)[number];

export type HookPayload = Record<string, unknown> & {hook_event_name?: string};

/**
 * Handles one hook call. The returned object is the hook's JSON answer to claude; returning a promise holds
 * the call open (a PermissionRequest waits for a person or the main session this way). `closed` fires if
 * claude gives up on the call first (its dialog was answered on screen, or it exited).
 */
export type HookHandler = (event: HookEvent, payload: HookPayload, closed: AbortSignal) => Promise<object> | object;

const SECRET_HEADER = 'x-ccfleet-secret';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

type Registration = {secret: Buffer; handler: HookHandler};

/**
 * One loopback HTTP listener for the hooks of every worker. claude POSTs each hook input here (`type: "http"`
 * hooks), so no process is spawned per event. Each worker has its own path and secret; a call with a wrong
 * secret is refused, so another local user cannot forge a worker's state. The secret reaches claude in its
 * environment only (see hookSettings), never on a command line another user could read.
 */
export class HookServer {
	readonly #server: http.Server;
	readonly #workers = new Map<string, Registration>();
	#port = 0;

	constructor() {
		this.#server = http.createServer((request, response) => {
			void this.#handle(request, response);
		});
		// Hooks can be held for as long as a person takes to answer a permission question.
		this.#server.requestTimeout = 0;
		this.#server.headersTimeout = 10_000;
		this.#server.keepAliveTimeout = 5_000;
	}

	async listen(): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.#server.once('error', reject);
			this.#server.listen(0, '127.0.0.1', () => {
				this.#server.off('error', reject);
				resolve();
			});
		});
		this.#port = (this.#server.address() as AddressInfo).port;
	}

	/** Registers a worker; returns its URL prefix and secret, and a function that unregisters it. */
	register(workerId: string, handler: HookHandler): {url: string; secret: string; unregister: () => void} {
		if (this.#port === 0) throw new Error('HookServer.listen() must finish before workers register.');
		const secret = randomBytes(24).toString('hex');
		this.#workers.set(workerId, {secret: Buffer.from(secret), handler});
		return {
			url: `http://127.0.0.1:${this.#port}/hooks/${encodeURIComponent(workerId)}`,
			secret,
			unregister: () => this.#workers.delete(workerId),
		};
	}

	async close(): Promise<void> {
		this.#server.closeAllConnections();
		await new Promise<void>(resolve => this.#server.close(() => resolve()));
	}

	async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
		const match = /^\/hooks\/([^/]+)\/([A-Za-z]+)$/.exec(request.url ?? '');
		const registration = match ? this.#workers.get(decodeURIComponent(match[1]!)) : undefined;
		const event = match?.[2] as HookEvent | undefined;
		if (request.method !== 'POST' || !registration || !event || !(FORWARDED_HOOKS as readonly string[]).includes(event)) {
			reply(response, 404, {error: 'unknown worker or hook'});
			request.resume();
			return;
		}
		const given = Buffer.from(String(request.headers[SECRET_HEADER] ?? ''));
		if (given.length !== registration.secret.length || !timingSafeEqual(given, registration.secret)) {
			reply(response, 403, {error: 'bad secret'});
			request.resume();
			return;
		}
		let payload: HookPayload;
		try {
			payload = await readJson(request);
		} catch (error) {
			reply(response, 400, {error: String(error)});
			return;
		}
		const closed = new AbortController();
		response.on('close', () => {
			if (!response.writableFinished) closed.abort();
		});
		try {
			const answer = await registration.handler(event, payload, closed.signal);
			if (!closed.signal.aborted) reply(response, 200, answer);
		} catch (error) {
			// A failing handler must not block claude: an empty answer lets it carry on as if no hook ran.
			if (!closed.signal.aborted) reply(response, 200, {});
			void error;
		}
	}
}

function reply(response: http.ServerResponse, status: number, body: object): void {
	const text = JSON.stringify(body);
	response.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)});
	response.end(text);
}

async function readJson(request: http.IncomingMessage): Promise<HookPayload> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > MAX_BODY_BYTES) throw new Error('hook payload too large');
		chunks.push(chunk);
	}
	const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('hook payload is not a JSON object');
	return parsed as HookPayload;
}

/**
 * The variable a worker's secret reaches claude in. Its environment is private to its user (/proc/PID/environ is
 * 0400), while its command line is shown to every user by `ps`.
 */
export const HOOK_SECRET_ENV = 'CCFLEET_HOOK_SECRET';

/**
 * The `--settings` hooks block that makes claude forward every event to this worker's URL. It holds no secret: the
 * header is filled in by claude from HOOK_SECRET_ENV (claude interpolates only the variables `allowedEnvVars` lists).
 */
export function hookSettings(url: string, permissionTimeoutSeconds: number): object {
	const hooks: Record<string, unknown> = {};
	for (const event of FORWARDED_HOOKS) {
		hooks[event] = [
			{
				matcher: '',
				hooks: [
					{
						type: 'http',
						url: `${url}/${event}`,
						headers: {'X-Ccfleet-Secret': `\${${HOOK_SECRET_ENV}}`},
						allowedEnvVars: [HOOK_SECRET_ENV],
						timeout: event === 'PermissionRequest' ? permissionTimeoutSeconds : 10,
					},
				],
			},
		];
	}
	return {hooks};
}
