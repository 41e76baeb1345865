import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js';
import {FleetError} from '../../core/domain/errors.js';

export {taskIdSchema} from '../../core/domain/task-spec.js';

/**
 * A result with structured content and a text copy for clients that read only text. Claude Code shows its model
 * the structured content instead of the text when both are there, so the guidance in `text` (what happened, how to
 * go on) is also put into the structured content as `message`.
 */
export function ok(structured: Record<string, unknown>, text?: string): CallToolResult {
	return {
		content: [{type: 'text', text: text ?? JSON.stringify(structured, null, 2)}],
		structuredContent: text === undefined ? structured : {message: text, ...structured},
	};
}

export function failure(message: string): CallToolResult {
	return {isError: true, content: [{type: 'text', text: message}]};
}

/** Expected failures (unknown id, bad input) become an isError result that says what to do; so does anything else, without taking the server down. */
export async function guard(run: () => Promise<CallToolResult> | CallToolResult): Promise<CallToolResult> {
	try {
		return await run();
	} catch (error) {
		if (error instanceof FleetError) return failure(error.message);
		return failure(`ccfleet could not do that: ${error instanceof Error ? error.message : String(error)}`);
	}
}
