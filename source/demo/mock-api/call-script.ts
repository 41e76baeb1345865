// Runs a `[[call:…]]` script one step per turn, as a main session would call tools: each step's arguments may
// quote the previous step's result, and the script ends with `FINAL:` and the last result.
import type {Directives} from './directives.js';
import {offeredTools, toolResultText, type ApiMessage, type MessagesBody} from './request.js';
import type {Plan} from './reply-plan.js';

/** The name Claude Code 2.1.330 gives the tool that loads deferred (e.g. MCP) tool schemas on demand. */
export const toolSearchName = 'ToolSearch';
export const finalPrefix = 'FINAL:';

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

/**
 * The next step of a `[[call:…]]` script. The tool must be one this request offers: 2.1.330 defers MCP tools
 * behind ToolSearch unless their server sets `alwaysLoad`, so a tool that is only listed as deferred is loaded
 * with ToolSearch first, as a real model would.
 */
export function planCall(body: MessagesBody, calls: NonNullable<Directives['calls']>): Plan {
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
