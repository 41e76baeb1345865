// The parts of a Messages API request the mock reads, and how it tells the conversation from side requests.
import type {IncomingMessage} from 'node:http';

export type ContentBlock = {
	type?: string;
	text?: string;
	is_error?: boolean;
	content?: unknown;
	id?: string;
	name?: string;
	input?: unknown;
	tool_use_id?: string;
};
export type ApiMessage = {role?: string; content?: string | ContentBlock[]};
export type MessagesBody = {
	model?: string;
	stream?: boolean;
	messages?: ApiMessage[];
	system?: unknown;
	tools?: unknown[];
	max_tokens?: number;
};

export type ParsedRequest = {
	method: string;
	url: string;
	/** The url without its query. */
	path: string;
	/** Parsed JSON body, or undefined when the body was empty or not JSON. */
	body: unknown;
};

export async function readRequest(request: IncomingMessage): Promise<ParsedRequest> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) {
		chunks.push(chunk as Buffer);
	}

	const raw = Buffer.concat(chunks).toString('utf8');
	let body: unknown;
	try {
		body = raw ? JSON.parse(raw) : undefined;
	} catch {
		body = undefined;
	}

	const method = request.method ?? 'GET';
	const url = request.url ?? '/';
	return {method, url, path: url.split('?')[0]!, body};
}

/** Text a human (or the orchestrator) typed, ignoring tool results, which may echo arbitrary output. */
export function userText(message: ApiMessage): string {
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

export function hasToolResult(message: ApiMessage): boolean {
	return Array.isArray(message.content) && message.content.some(block => block.type === 'tool_result');
}

/** A tool_result's content as the model saw it: a string, or the text of its text blocks. */
export function toolResultText(block: ContentBlock): string {
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

export function offeredTools(body: MessagesBody): string[] {
	return (body.tools ?? []).flatMap(tool => {
		const name = (tool as {name?: unknown}).name;
		return typeof name === 'string' ? [name] : [];
	});
}

/**
 * Claude Code makes side requests next to the conversation (e.g. the session title, when nonessential traffic
 * is allowed). They quote the prompt, so without this check they would consume `[[status]]` counters or hang.
 * In 2.1.330 the main loop always streams and offers tools, or (with `--tools ""`) still sends its context as
 * a second message; the side requests seen are non-streaming or a single tool-less message.
 */
export function isMainConversation(body: MessagesBody): boolean {
	if (body.stream !== true) {
		return false;
	}

	return (body.tools?.length ?? 0) > 0 || (body.messages?.length ?? 0) > 1;
}
