import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js';
import {FleetError, messageOf} from '../../core/domain/errors.js';

export {taskIdSchema} from '../../core/domain/task-spec.js';

/** The longest `message` an answer carries: guidance, not data; the data (results, logs) is in the structured fields. */
export const MESSAGE_MAX_CHARS = 1500;

/** Text cut to `max` characters, saying how much there was. */
export function shorten(text: string, max: number, more = ''): string {
	return text.length <= max ? text : `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters${more ? `; ${more}` : ''})`;
}

/**
 * A result with structured content and a short text for clients that read only text. Claude Code shows its model the
 * structured content instead of the text when both are there, so the guidance (what happened, how to go on) is in
 * the structured content as `message` too. What the fields carry (a result, a log, a prompt) is not repeated in the
 * text: the text is the message, cut to MESSAGE_MAX_CHARS, or a compact copy of a small answer without one.
 */
export function ok(structured: Record<string, unknown>, text?: string): CallToolResult {
	if (text === undefined) {
		const json = JSON.stringify(structured);
		return {content: [{type: 'text', text: json.length <= MESSAGE_MAX_CHARS ? json : 'The answer is in the structured content.'}], structuredContent: structured};
	}
	const message = shorten(text, MESSAGE_MAX_CHARS, 'the rest is in the structured content');
	return {content: [{type: 'text', text: message}], structuredContent: {message, ...structured}};
}

/**
 * The MCP SDK's wrapping of a message, "MCP error -32602: " (once per layer it passed) and "Input validation error:
 * Invalid arguments for tool x: ": neither a model nor a person needs it.
 */
export function plainMessage(text: string): string {
	return text
		.replace(/^(?:MCP error -?\d+:\s*)+/, '')
		.replace(/^(?:Input validation error:\s*)?Invalid arguments for tool [\w-]+:\s*/, '')
		.trim();
}

export function failure(message: string): CallToolResult {
	return {isError: true, content: [{type: 'text', text: plainMessage(message)}]};
}

/** Expected failures (unknown id, bad input) become an isError result that says what to do; so does anything else, without taking the server down. */
export async function guard(run: () => Promise<CallToolResult> | CallToolResult): Promise<CallToolResult> {
	try {
		return await run();
	} catch (error) {
		if (error instanceof FleetError) return failure(error.message);
		return failure(`ccfleet could not do that: ${messageOf(error)}`);
	}
}
