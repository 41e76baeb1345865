import {clip} from './tool-text.js';

/** The fields ccfleet reads of claude's stream-json lines (research/claude-cli.md B); all else is ignored. */
export type StreamMessage = {
	type?: string;
	subtype?: string;
	state?: string;
	request_id?: string;
	request?: {subtype?: string; tool_name?: string; input?: Record<string, unknown>; tool_use_id?: string};
	message?: {content?: unknown};
	result?: string;
	is_error?: boolean;
	errors?: string[];
	total_cost_usd?: number;
	usage?: {input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number};
	error?: string;
};

/** One stdout line as a message; undefined for a line that is not part of the protocol. */
export function parseStreamLine(line: string): StreamMessage | undefined {
	try {
		const parsed: unknown = JSON.parse(line);
		return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
	} catch {
		return undefined;
	}
}

export type ContentBlock = {type?: string; text?: unknown; name?: unknown; input?: unknown; content?: unknown};

export function contentBlocks(content: unknown): ContentBlock[] {
	return Array.isArray(content) ? (content as ContentBlock[]) : [];
}

/** A tool result's content on one line, for the output log. */
export function toolResultLine(content: unknown): string {
	const text =
		typeof content === 'string' ? content : Array.isArray(content) ? content.map(part => (part as {text?: string}).text ?? '').join(' ') : JSON.stringify(content ?? '');
	return clip(text);
}

/** One user turn, as a line for claude's stdin. */
export function userMessage(text: string): object {
	return {type: 'user', message: {role: 'user', content: text}};
}
