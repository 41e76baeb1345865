// The mock's HTTP server: routes each request, records it, and answers a Messages turn from its directives.
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import {type AddressInfo, type Socket} from 'node:net';
import {parseDirectives} from './directives.js';
import {writeMessage} from './message-writer.js';
import {defaultMockReply, planReply, sideReply, type Plan} from './reply-plan.js';
import {isMainConversation, readRequest, type MessagesBody} from './request.js';
import {createRequestLog, type MockRequest} from './request-log.js';
import {createScriptedErrors, sendError} from './scripted-errors.js';
import {inputUsage} from './usage.js';

export type MockApiOptions = {
	/** Reply text when no `[[reply:…]]` directive is present. */
	defaultReply?: string;
	/** Called for every request after it is recorded; handy for debugging a test. */
	onRequest?: (request: MockRequest) => void;
};

export type MockApi = {
	url: string;
	port: number;
	requests: MockRequest[];
	/** Requests that were main-conversation turns (not title/topic/quota side requests). */
	mainRequests: () => MockRequest[];
	close(): Promise<void>;
};

export async function startMockApi(options: MockApiOptions = {}): Promise<MockApi> {
	const defaultReply = options.defaultReply ?? defaultMockReply;
	const log = createRequestLog(options.onRequest);
	const answerScriptedError = createScriptedErrors();
	const sockets = new Set<Socket>();
	const hung = new Set<ServerResponse>();
	let sequence = 0;
	let closing = false;

	async function handleMessages(response: ServerResponse, id: number, body: MessagesBody, main: boolean) {
		if (!main) {
			// Side requests only need to be valid; scripting them would make main-turn behaviour depend on them.
			const plan: Plan = {kind: 'text', text: sideReply(body, defaultReply)};
			await writeMessage(response, id, body, plan, 0);
			return;
		}

		const directives = parseDirectives(body.messages ?? []);
		if (directives.hang) {
			hung.add(response);
			response.on('close', () => hung.delete(response));
			return;
		}

		if (directives.status && answerScriptedError(response, id, directives.status)) {
			return;
		}

		await writeMessage(response, id, body, planReply(body, directives, defaultReply), directives.slowMs ?? 0);
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
