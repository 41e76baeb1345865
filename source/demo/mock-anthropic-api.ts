// A scriptable stand-in for the Anthropic Messages API, so the real `claude` binary can run offline and
// deterministically in tests. Replies are scripted by directives inside the task prompt (see parseDirectives),
// which lets one server drive many concurrent workers differently.
//
// Directives:
//   [[reply:TEXT]]             answer TEXT
//   [[tool:bash]] / [[tool:bash:CMD]]  run one Bash command, then say whether it finished or was refused
//   [[call:TOOL:{json}]]       call any offered tool (e.g. mcp__ccfleet__delegate_task), one per turn, in order;
//                              `$key` in a string argument becomes the first "key":"value" of the previous call's
//                              result; after the last call the answer is `FINAL:` + that call's result text
//   [[slow:MS]] [[hang]] [[status:CODE:N]]  delay the content, never answer, fail the first N requests
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import {type AddressInfo, type Socket} from 'node:net';

export type MockRequest = {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON body, or undefined when the body was empty or not JSON. */
	body: unknown;
	receivedAt: number;
	/** Whether the mock treated this as a main-conversation turn (directives applied) or a side request. */
	kind: 'main' | 'side' | 'other';
};

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
	mainRequests(): MockRequest[];
	close(): Promise<void>;
};

export const defaultMockReply = 'Hello from mock.';
export const toolDoneReply = 'Tool finished. Done.';
export const toolRefusedReply = 'Tool was refused.';
export const defaultToolCommand = 'echo hello-from-tool > out.txt && cat out.txt';

type ContentBlock = {
	type?: string;
	text?: string;
	is_error?: boolean;
	content?: unknown;
	id?: string;
	name?: string;
	input?: unknown;
	tool_use_id?: string;
};
type ApiMessage = {role?: string; content?: string | ContentBlock[]};
type MessagesBody = {
	model?: string;
	stream?: boolean;
	messages?: ApiMessage[];
	system?: unknown;
	tools?: unknown[];
	max_tokens?: number;
};

/** One `[[call:…]]` step; `error` says why its JSON could not be read, so the reply can say so. */
type ToolCall = {name: string; input: Record<string, unknown>; error?: string};

type Directives = {
	reply?: string;
	replyIndex?: number;
	tool?: {command: string; messageIndex: number};
	calls?: {steps: ToolCall[]; messageIndex: number};
	slowMs?: number;
	status?: {code: number; count: number; messageText: string};
	hang?: boolean;
};

type Plan =
	| {kind: 'text'; text: string}
	| {kind: 'tool'; text: string; name: string; input: Record<string, unknown>};

const errorTypes: Record<number, string> = {
	400: 'invalid_request_error',
	401: 'authentication_error',
	403: 'permission_error',
	404: 'not_found_error',
	413: 'request_too_large',
	429: 'rate_limit_error',
	500: 'api_error',
	529: 'overloaded_error',
};

/** The name Claude Code 2.1.330 gives the tool that loads deferred (e.g. MCP) tool schemas on demand. */
export const toolSearchName = 'ToolSearch';
export const finalPrefix = 'FINAL:';

/** Text a human (or the orchestrator) typed, ignoring tool results, which may echo arbitrary output. */
function userText(message: ApiMessage): string {
	if (typeof message.content === 'string') {
		return message.content;
	}

	if (!Array.isArray(message.content)) {
		return '';
	}

	return message.content
		.filter(block => block.type === 'text' && typeof block.text === 'string')
		.map(block => block.text)
		.join('\n');
}

function hasToolResult(message: ApiMessage): boolean {
	return Array.isArray(message.content) && message.content.some(block => block.type === 'tool_result');
}

// Each directive kind is taken from the newest user message that carries it, so a resumed or follow-up prompt
// can override the original one while a plain "Continue" keeps the first prompt's script.
function parseDirectives(messages: ApiMessage[]): Directives {
	const directives: Directives = {};
	for (let index = messages.length - 1; index >= 0; index--) {
		const message = messages[index]!;
		if (message.role !== 'user') {
			continue;
		}

		const fullText = userText(message);
		if (!fullText.includes('[[')) {
			continue;
		}

		// A call's arguments often carry a worker's prompt with directives of its own; those are for the worker.
		const {calls, rest: text} = extractCalls(fullText);
		if (directives.calls === undefined && calls.length > 0) {
			directives.calls = {steps: calls, messageIndex: index};
		}

		if (directives.reply === undefined) {
			// The last one in a message wins: a prompt may quote an earlier task's prompt (continueFrom) before its own.
			const match = [...text.matchAll(/\[\[reply:([\s\S]*?)\]\]/g)].at(-1);
			if (match) {
				directives.reply = match[1]!;
				directives.replyIndex = index;
			}
		}

		if (directives.tool === undefined) {
			const match = /\[\[tool:bash(?::([\s\S]*?))?\]\]/.exec(text);
			if (match) {
				directives.tool = {command: match[1] ?? defaultToolCommand, messageIndex: index};
			}
		}

		if (directives.slowMs === undefined) {
			const match = /\[\[slow:(\d+)\]\]/.exec(text);
			if (match) {
				directives.slowMs = Number(match[1]);
			}
		}

		if (directives.status === undefined) {
			const match = /\[\[status:(\d{3}):(\d+)\]\]/.exec(text);
			if (match) {
				// Keyed by the line that carries the directive: the rest of the message (system reminders) can differ
				// between a first run and a resumed one, which must share the counter.
				const line = text.split('\n').find(candidate => candidate.includes(match[0])) ?? match[0];
				directives.status = {code: Number(match[1]), count: Number(match[2]), messageText: line};
			}
		}

		if (directives.hang === undefined && text.includes('[[hang]]')) {
			directives.hang = true;
		}
	}

	return directives;
}

/** Index just past the JSON value that starts at `start` (an object or array), honouring strings; -1 if unbalanced. */
function endOfJson(text: string, start: number): number {
	let depth = 0;
	let inString = false;
	for (let index = start; index < text.length; index++) {
		const char = text[index];
		if (inString) {
			if (char === '\\') {
				index++;
			} else if (char === '"') {
				inString = false;
			}
		} else if (char === '"') {
			inString = true;
		} else if (char === '{' || char === '[') {
			depth++;
		} else if (char === '}' || char === ']') {
			depth--;
			if (depth === 0) {
				return index + 1;
			}
		}
	}

	return -1;
}

/**
 * Every `[[call:TOOL]]` / `[[call:TOOL:{json}]]` in order, and the text without them. The JSON is scanned rather
 * than matched up to the first `]]`, since arguments like `{"ids":["$id"]}` or a nested `[[reply:…]]` contain it.
 */
function extractCalls(text: string): {calls: ToolCall[]; rest: string} {
	const calls: ToolCall[] = [];
	let rest = '';
	let cursor = 0;
	const opener = /\[\[call:([\w.-]+)/g;
	for (let match = opener.exec(text); match; match = opener.exec(text)) {
		const name = match[1]!;
		let end = opener.lastIndex;
		let input: Record<string, unknown> = {};
		let error: string | undefined;
		if (text[end] === ':') {
			let start = end + 1;
			while (/\s/.test(text[start] ?? '')) {
				start++;
			}

			const jsonEnd = endOfJson(text, start);
			if (jsonEnd === -1) {
				error = `the arguments of ${name} are not balanced JSON`;
				end = text.indexOf(']]', start) === -1 ? text.length : text.indexOf(']]', start);
			} else {
				try {
					const parsed: unknown = JSON.parse(text.slice(start, jsonEnd));
					if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
						error = `the arguments of ${name} must be a JSON object`;
					} else {
						input = parsed as Record<string, unknown>;
					}
				} catch (parseError) {
					error = `the arguments of ${name} are not JSON: ${(parseError as Error).message}`;
				}

				end = jsonEnd;
			}
		}

		const close = /^\s*\]\]/.exec(text.slice(end));
		end += close ? close[0].length : 0;
		calls.push(error === undefined ? {name, input} : {name, input, error});
		rest += text.slice(cursor, match.index);
		cursor = end;
		opener.lastIndex = end;
	}

	return {calls, rest: rest + text.slice(cursor)};
}

/** A tool_result's content as the model saw it: a string, or the text of its text blocks. */
function toolResultText(block: ContentBlock): string {
	if (typeof block.content === 'string') {
		return block.content;
	}

	if (!Array.isArray(block.content)) {
		return '';
	}

	return (block.content as ContentBlock[])
		.filter(part => part.type === 'text' && typeof part.text === 'string')
		.map(part => part.text)
		.join('\n');
}

type CallResult = {name: string; text: string; isError: boolean};

/**
 * The results of the calls made since `fromIndex`, oldest first, leaving out ToolSearch turns: Claude Code may
 * need one to load a deferred tool's schema, and that is not a step of the script.
 */
function callResults(messages: ApiMessage[], fromIndex: number): {results: CallResult[]; searchedSinceLast: string[]} {
	const names = new Map<string, string>();
	const results: CallResult[] = [];
	let searchedSinceLast: string[] = [];
	for (const message of messages.slice(fromIndex + 1)) {
		if (!Array.isArray(message.content)) {
			continue;
		}

		for (const block of message.content) {
			if (message.role === 'assistant' && block.type === 'tool_use' && block.id && block.name) {
				names.set(block.id, block.name);
				if (block.name === toolSearchName) {
					const query = (block.input as {query?: unknown} | undefined)?.query;
					searchedSinceLast.push(typeof query === 'string' ? query : '');
				}
			}

			if (message.role === 'user' && block.type === 'tool_result') {
				const name = names.get(block.tool_use_id ?? '') ?? '';
				if (name !== toolSearchName) {
					results.push({name, text: toolResultText(block), isError: block.is_error === true});
					searchedSinceLast = [];
				}
			}
		}
	}

	return {results, searchedSinceLast};
}

/** The first `"key": "value"` in `text`, also when the JSON there is itself escaped inside a string. */
function findJsonString(text: string, key: string): string | undefined {
	// Keys are \w+ (see fillPlaceholders), so they need no escaping in the pattern.
	const match = new RegExp(`\\\\*"${key}\\\\*"\\s*:\\s*\\\\*"((?:[^"\\\\]|\\\\[^"])*)`).exec(text);
	if (!match) {
		return undefined;
	}

	try {
		return JSON.parse(`"${match[1]!}"`) as string;
	} catch {
		return match[1]!;
	}
}

/** Fills `$key` placeholders in every string of `value` from the previous result; unknown ones stay as written. */
function fillPlaceholders(value: unknown, previous: string | undefined): unknown {
	if (typeof value === 'string') {
		if (previous === undefined) {
			return value;
		}

		return value.replaceAll(/\$([A-Za-z_]\w*)/g, (placeholder, key: string) => findJsonString(previous, key) ?? placeholder);
	}

	if (Array.isArray(value)) {
		return value.map(item => fillPlaceholders(item, previous));
	}

	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, previous)]));
	}

	return value;
}

function offeredTools(body: MessagesBody): string[] {
	return (body.tools ?? []).flatMap(tool => {
		const name = (tool as {name?: unknown}).name;
		return typeof name === 'string' ? [name] : [];
	});
}

/**
 * The next step of a `[[call:…]]` script. The tool must be one this request offers: 2.1.330 defers MCP tools
 * behind ToolSearch unless their server sets `alwaysLoad`, so a tool that is only listed as deferred is loaded
 * with ToolSearch first, as a real model would.
 */
function planCall(body: MessagesBody, calls: NonNullable<Directives['calls']>): Plan {
	const {results, searchedSinceLast} = callResults(body.messages ?? [], calls.messageIndex);
	const previous = results.at(-1);
	const step = calls.steps[results.length];
	if (!step) {
		return {kind: 'text', text: `${finalPrefix}${previous?.text ?? ''}`};
	}

	if (step.error) {
		return {kind: 'text', text: `Mock cannot run call ${results.length + 1}: ${step.error}.`};
	}

	const offered = offeredTools(body);
	if (!offered.includes(step.name)) {
		const query = `select:${step.name}`;
		if (offered.includes(toolSearchName) && !searchedSinceLast.includes(query)) {
			return {kind: 'tool', text: `Loading ${step.name}.`, name: toolSearchName, input: {query, max_results: 5}};
		}

		return {kind: 'text', text: `Mock cannot call ${step.name}: this request offers only ${offered.join(', ') || 'no tools'}.`};
	}

	return {kind: 'tool', text: `Calling ${step.name}.`, name: step.name, input: fillPlaceholders(step.input, previous?.text) as Record<string, unknown>};
}

/**
 * Claude Code makes side requests next to the conversation (e.g. the session title, when nonessential traffic
 * is allowed). They quote the prompt, so without this check they would consume `[[status]]` counters or hang.
 * In 2.1.330 the main loop always streams and offers tools, or (with `--tools ""`) still sends its context as
 * a second message; the side requests seen are non-streaming or a single tool-less message.
 */
function isMainConversation(body: MessagesBody): boolean {
	if (body.stream !== true) {
		return false;
	}

	return (body.tools?.length ?? 0) > 0 || (body.messages?.length ?? 0) > 1;
}

function estimateTokens(value: unknown): number {
	if (value === undefined) {
		return 0;
	}

	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return Math.max(1, Math.ceil(text.length / 4));
}

type Usage = {
	input_tokens: number;
	output_tokens: number;
	cache_creation_input_tokens: number;
	cache_read_input_tokens: number;
};

// Mimics prompt caching: the system prompt and tools are written to the cache on a conversation's first
// request and read from it afterwards, so transcripts show both cache fields being used.
function inputUsage(body: MessagesBody): Omit<Usage, 'output_tokens'> {
	const prefix = estimateTokens(body.system) + estimateTokens(body.tools);
	const firstRequest = !(body.messages ?? []).some(message => message.role === 'assistant');
	return {
		input_tokens: estimateTokens(body.messages),
		cache_creation_input_tokens: firstRequest ? prefix : 0,
		cache_read_input_tokens: firstRequest ? 0 : prefix,
	};
}

function outputTokens(plan: Plan): number {
	return estimateTokens(plan.text) + (plan.kind === 'tool' ? estimateTokens(plan.input) + 10 : 0);
}

function planReply(body: MessagesBody, directives: Directives, defaultReply: string): Plan {
	const messages = body.messages ?? [];
	// A newer prompt's [[reply]] or [[tool]] overrides an older call script, as with the other directives.
	const calls = directives.calls;
	if (calls && calls.messageIndex >= Math.max(directives.replyIndex ?? -1, directives.tool?.messageIndex ?? -1)) {
		return planCall(body, calls);
	}

	// A [[tool]] script is over once a newer prompt brings its own [[reply]] (a resumed conversation).
	if (directives.tool && directives.tool.messageIndex >= (directives.replyIndex ?? -1)) {
		const resultMessages = messages.slice(directives.tool.messageIndex + 1).filter(hasToolResult);
		const last = resultMessages.at(-1);
		if (!last) {
			return {
				kind: 'tool',
				text: 'I will run a command.',
				name: 'Bash',
				input: {
					command: directives.tool.command,
					description: directives.tool.command === defaultToolCommand ? 'Write a file' : 'Run a command',
				},
			};
		}

		const blocks = Array.isArray(last.content) ? last.content : [];
		const refused = blocks.some(block => block.type === 'tool_result' && block.is_error === true);
		return {kind: 'text', text: refused ? toolRefusedReply : toolDoneReply};
	}

	return {kind: 'text', text: directives.reply ?? defaultReply};
}

// The session-title request (sent unless CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set) asks for
// `{"title": …}` JSON; anything else gets plain text.
function sideReply(body: MessagesBody, defaultReply: string): string {
	const system = typeof body.system === 'string' ? body.system : JSON.stringify(body.system ?? '');
	return /JSON with a single \\?"title\\?" field/.test(system) ? JSON.stringify({title: 'Mock session'}) : defaultReply;
}

const sleep = async (ms: number) => new Promise<void>(resolve => {
	setTimeout(resolve, ms);
});

export async function startMockApi(options: MockApiOptions = {}): Promise<MockApi> {
	const defaultReply = options.defaultReply ?? defaultMockReply;
	const requests: MockRequest[] = [];
	// Keyed by the text of the prompt that carries the directive, so workers with different prompts count
	// separately; retries of one turn resend the same prompt and so share a counter.
	const statusCounters = new Map<string, number>();
	const sockets = new Set<Socket>();
	const hung = new Set<ServerResponse>();
	let sequence = 0;
	let closing = false;

	function sendError(response: ServerResponse, id: number, status: number, message: string) {
		response.writeHead(status, {
			'content-type': 'application/json',
			'retry-after': '0',
			'request-id': `req_mock_${id}`,
		});
		response.end(JSON.stringify({
			type: 'error',
			error: {type: errorTypes[status] ?? 'api_error', message},
		}));
	}

	function messageSkeleton(id: number, model: string, usage: Usage) {
		return {
			id: `msg_mock_${id}`,
			type: 'message',
			role: 'assistant',
			model,
			content: [] as unknown[],
			stop_reason: null,
			stop_sequence: null,
			usage,
		};
	}

	function contentBlocks(id: number, plan: Plan) {
		const blocks: Array<Record<string, unknown>> = [{type: 'text', text: plan.text}];
		if (plan.kind === 'tool') {
			blocks.push({type: 'tool_use', id: `toolu_mock_${id}`, name: plan.name, input: plan.input});
		}

		return blocks;
	}

	async function stream(response: ServerResponse, id: number, body: MessagesBody, plan: Plan, delayMs: number) {
		const model = body.model ?? 'claude-mock';
		const usage = {...inputUsage(body), output_tokens: 1};
		const write = (event: string, data: unknown) => {
			if (!response.destroyed) {
				response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
			}
		};

		response.writeHead(200, {
			'content-type': 'text/event-stream',
			'cache-control': 'no-cache',
			'request-id': `req_mock_${id}`,
		});
		write('message_start', {type: 'message_start', message: messageSkeleton(id, model, usage)});
		if (delayMs > 0) {
			await sleep(delayMs);
		}

		contentBlocks(id, plan).forEach((block, index) => {
			if (block['type'] === 'text') {
				write('content_block_start', {type: 'content_block_start', index, content_block: {type: 'text', text: ''}});
				write('content_block_delta', {type: 'content_block_delta', index, delta: {type: 'text_delta', text: block['text']}});
			} else {
				write('content_block_start', {
					type: 'content_block_start',
					index,
					content_block: {type: 'tool_use', id: block['id'], name: block['name'], input: {}},
				});
				write('content_block_delta', {
					type: 'content_block_delta',
					index,
					delta: {type: 'input_json_delta', partial_json: JSON.stringify(block['input'])},
				});
			}

			write('content_block_stop', {type: 'content_block_stop', index});
		});
		write('message_delta', {
			type: 'message_delta',
			delta: {stop_reason: plan.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null},
			usage: {...usage, output_tokens: outputTokens(plan)},
		});
		write('message_stop', {type: 'message_stop'});
		response.end();
	}

	function json(response: ServerResponse, id: number, body: MessagesBody, plan: Plan) {
		response.writeHead(200, {'content-type': 'application/json', 'request-id': `req_mock_${id}`});
		response.end(JSON.stringify({
			...messageSkeleton(id, body.model ?? 'claude-mock', {...inputUsage(body), output_tokens: outputTokens(plan)}),
			content: contentBlocks(id, plan),
			stop_reason: plan.kind === 'tool' ? 'tool_use' : 'end_turn',
		}));
	}

	async function handleMessages(response: ServerResponse, id: number, body: MessagesBody, main: boolean) {
		const messages = body.messages ?? [];
		if (!main) {
			// Side requests only need to be valid; scripting them would make main-turn behaviour depend on them.
			const plan: Plan = {kind: 'text', text: sideReply(body, defaultReply)};
			if (body.stream) {
				await stream(response, id, body, plan, 0);
			} else {
				json(response, id, body, plan);
			}

			return;
		}

		const directives = parseDirectives(messages);
		if (directives.hang) {
			hung.add(response);
			response.on('close', () => hung.delete(response));
			return;
		}

		if (directives.status) {
			const key = directives.status.messageText;
			const served = statusCounters.get(key) ?? 0;
			if (served < directives.status.count) {
				statusCounters.set(key, served + 1);
				sendError(response, id, directives.status.code, `Mock ${directives.status.code} (${served + 1} of ${directives.status.count})`);
				return;
			}
		}

		const plan = planReply(body, directives, defaultReply);
		if (body.stream) {
			await stream(response, id, body, plan, directives.slowMs ?? 0);
		} else {
			json(response, id, body, plan);
		}
	}

	async function handle(request: IncomingMessage, response: ServerResponse) {
		const chunks: Buffer[] = [];
		for await (const chunk of request) {
			chunks.push(chunk as Buffer);
		}

		const id = ++sequence;
		const raw = Buffer.concat(chunks).toString('utf8');
		let body: unknown;
		try {
			body = raw ? JSON.parse(raw) : undefined;
		} catch {
			body = undefined;
		}

		const method = request.method ?? 'GET';
		const url = request.url ?? '/';
		const path = url.split('?')[0];
		const isMessages = method === 'POST' && path === '/v1/messages';
		const messagesBody = (body ?? {}) as MessagesBody;
		const main = isMessages && isMainConversation(messagesBody);
		const recorded: MockRequest = {
			method,
			url,
			headers: request.headers,
			body,
			receivedAt: Date.now(),
			kind: main ? 'main' : (isMessages ? 'side' : 'other'),
		};
		requests.push(recorded);
		options.onRequest?.(recorded);

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
		requests,
		mainRequests: () => requests.filter(request => request.kind === 'main'),
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
