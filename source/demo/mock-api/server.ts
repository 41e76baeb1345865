// The mock's HTTP server: routes each request, records it, and answers a Messages turn from its directives.
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import {type AddressInfo, type Socket} from 'node:net';
import {parseDirectives, type Directives} from './directives.js';
import {applyPromptScripts, type PromptScript} from './prompt-scripts.js';
import {writeMessage} from './message-writer.js';
import {defaultMockReply, planReply, sideReply, type Plan} from './reply-plan.js';
import {isMainConversation, readRequest, type MessagesBody} from './request.js';
import {createRequestLog, type MockRequest} from './request-log.js';
import {createScriptedErrors, sendError} from './scripted-errors.js';
import {inputUsage} from './usage.js';
import {sendUsageLimited, usageWarningHeaders, type UsageLimitKind, type UsageLimitState, type UsageWarning} from './usage-limit.js';

export type MockApiOptions = {
	/** Reply text when no `[[reply:…]]` directive is present. */
	defaultReply?: string;
	/** Called for every request after it is recorded; handy for debugging a test. */
	onRequest?: (request: MockRequest) => void;
	/** Directives for prompts that do not carry them (the demo's): see prompt-scripts.ts. */
	scripts?: readonly PromptScript[];
};

export type MockApi = {
	url: string;
	port: number;
	requests: MockRequest[];
	/** Requests that were main-conversation turns (not title/topic/quota side requests). */
	mainRequests: () => MockRequest[];
	/**
	 * Puts the account past its usage limit, as a subscription meets it: until `epochMs` every /v1/messages request
	 * is a 429 with the unified rate-limit headers (status rejected, that reset, `kind` as the representative
	 * claim, five_hour by default); from then on answers are ordinary again. A time in the past lifts it.
	 */
	limitUsageUntil(epochMs: number, options?: {kind?: UsageLimitKind}): void;
	/**
	 * While on, ordinary answers carry the headers that say the limit is near (claude reports allowed_warning);
	 * `true` means the 5-hour window at 93 % resetting in an hour.
	 */
	warnUsage(on: boolean | Partial<UsageWarning>): void;
	close(): Promise<void>;
};

export async function startMockApi(options: MockApiOptions = {}): Promise<MockApi> {
	const defaultReply = options.defaultReply ?? defaultMockReply;
	const log = createRequestLog(options.onRequest);
	const answerScriptedError = createScriptedErrors();
	const dropped = new Map<string, number>();
	const sockets = new Set<Socket>();
	const hung = new Set<ServerResponse>();
	let sequence = 0;
	let closing = false;
	let usageLimit: UsageLimitState | undefined;
	let usageWarning: UsageWarning | undefined;
	// When each `[[usage-limit]]` prompt line stops being limited, set by its first request.
	const limitedLines = new Map<string, number>();
	// `[[slow:MS:first]]` prompt lines whose first request was already held back.
	const slowedLines = new Set<string>();

	function delayFor(directives: Directives): number {
		const line = directives.slowFirstLine;
		if (line === undefined) return directives.slowMs ?? 0;
		if (slowedLines.has(line)) return 0;
		slowedLines.add(line);
		return directives.slowMs ?? 0;
	}

	function limitFor(directives: Directives, now: number): UsageLimitState | undefined {
		if (usageLimit && now < usageLimit.until) return usageLimit;
		const directive = directives.usageLimit;
		if (!directive) return undefined;
		let until = limitedLines.get(directive.line);
		if (until === undefined) {
			until = now + directive.seconds * 1000;
			limitedLines.set(directive.line, until);
		}

		return now < until ? {until, kind: directive.kind} : undefined;
	}

	function warningHeaders(directives: Directives, now: number): Record<string, string> {
		const warning = usageWarning ?? (directives.usageWarning ? {kind: 'five_hour', utilization: 0.93} : undefined);
		return warning ? usageWarningHeaders(warning, now) : {};
	}

	async function handleMessages(response: ServerResponse, id: number, body: MessagesBody, main: boolean) {
		const now = Date.now();
		// The limit is the account's: side requests meet it too, as they do on the real API.
		if (usageLimit && now < usageLimit.until) {
			sendUsageLimited(response, id, usageLimit, now);
			return;
		}

		if (!main) {
			// Side requests only need to be valid; scripting them would make main-turn behaviour depend on them.
			const plan: Plan = {kind: 'text', text: sideReply(body, defaultReply)};
			await writeMessage(response, id, body, plan, 0, usageWarning ? usageWarningHeaders(usageWarning, now) : {});
			return;
		}

		const directives = parseDirectives(applyPromptScripts(body.messages ?? [], options.scripts ?? []));
		const limit = limitFor(directives, now);
		if (limit) {
			sendUsageLimited(response, id, limit, now);
			return;
		}

		if (directives.hang) {
			hung.add(response);
			response.on('close', () => hung.delete(response));
			return;
		}

		if (directives.status && answerScriptedError(response, id, directives.status)) {
			return;
		}

		const drops = directives.drop ? (dropped.get(directives.drop.messageText) ?? 0) : 0;
		if (directives.drop && drops < directives.drop.count) {
			dropped.set(directives.drop.messageText, drops + 1);
			response.socket?.destroy();
			return;
		}

		await writeMessage(response, id, body, planReply(body, directives, defaultReply), delayFor(directives), warningHeaders(directives, now));
	}

	async function handle(request: IncomingMessage, response: ServerResponse) {
		const {method, url, path, body} = await readRequest(request);
		const id = ++sequence;
		const isMessages = method === 'POST' && path === '/v1/messages';
		const messagesBody = (body ?? {}) as MessagesBody;
		const main = isMessages && isMainConversation(messagesBody);
		log.record({
			method,
			url,
			headers: request.headers,
			body,
			receivedAt: Date.now(),
			kind: main ? 'main' : isMessages ? 'side' : 'other',
		});

		if (method === 'HEAD' || (method === 'GET' && path === '/')) {
			response.writeHead(200);
			response.end();
			return;
		}

		if (isMessages) {
			await handleMessages(response, id, messagesBody, main);
			return;
		}

		if (method === 'POST' && path === '/v1/messages/count_tokens') {
			response.writeHead(200, {'content-type': 'application/json'});
			response.end(JSON.stringify({input_tokens: inputUsage(messagesBody).input_tokens}));
			return;
		}

		sendError(response, id, 404, `Mock API has no route for ${method} ${path}`);
	}

	const server = http.createServer((request, response) => {
		handle(request, response).catch((error: unknown) => {
			if (!response.headersSent && !closing) {
				sendError(response, sequence, 500, `Mock API failed: ${String(error)}`);
			} else {
				response.destroy();
			}
		});
	});
	server.on('connection', socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			resolve();
		});
	});
	const {port} = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}`,
		port,
		requests: log.requests,
		mainRequests: log.mainRequests,
		limitUsageUntil(epochMs, limitOptions = {}) {
			usageLimit = {until: epochMs, kind: limitOptions.kind ?? 'five_hour'};
		},
		warnUsage(on) {
			usageWarning = on === false ? undefined : {kind: 'five_hour', utilization: 0.93, ...(on === true ? {} : on)};
		},
		async close() {
			closing = true;
			for (const response of hung) {
				response.destroy();
			}

			// Keep-alive and hung connections would otherwise keep server.close() waiting forever.
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
		},
	};
}
