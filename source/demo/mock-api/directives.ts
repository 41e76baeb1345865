// The directive language: how a task prompt scripts the mock's answers, so one server can drive many concurrent
// workers differently.
//
//   [[reply:TEXT]]             answer TEXT
//   [[tool:bash]] / [[tool:bash:CMD]]  run one Bash command, then say whether it finished or was refused
//   [[call:TOOL:{json}]]       call any offered tool (e.g. mcp__ccfleet__delegate_task), one per turn, in order;
//                              `$key` in a string argument becomes the first "key":"value" of the previous call's
//                              result; after the last call the answer is `FINAL:` + that call's result text
//   [[slow:MS]] [[hang]] [[status:CODE:N]]  delay the content, never answer, fail the first N requests
//   [[slow:MS:first]]          delay only the first request of this prompt line: a resumed conversation answers at once
//   [[drop:N]]                 cut the connection without an answer for the first N requests (a network failure)
//   [[usage-limit:SECONDS]] / [[usage-limit:SECONDS:KIND]]  the account's usage limit (KIND five_hour by default)
//                              is reached for this prompt: its requests get the subscription 429 until SECONDS after
//                              the first of them, then ordinary answers (a resumed conversation gets through)
//   [[usage-warning]]          answer normally, with the headers that say the 5-hour limit is near
import {userText, type ApiMessage} from './request.js';

export const defaultToolCommand = 'echo hello-from-tool > out.txt && cat out.txt';

/** One `[[call:…]]` step; `error` says why its JSON could not be read, so the reply can say so. */
export type ToolCall = {name: string; input: Record<string, unknown>; error?: string};

export type StatusDirective = {code: number; count: number; messageText: string};

/** `line` keys the deadline, as StatusDirective's messageText keys its counter. */
export type UsageLimitDirective = {seconds: number; kind: string; line: string};

export type Directives = {
	reply?: string;
	replyIndex?: number;
	tool?: {command: string; messageIndex: number};
	calls?: {steps: ToolCall[]; messageIndex: number};
	slowMs?: number;
	/** Set by `[[slow:MS:first]]`: the line that carries it, which keys "its first request" as StatusDirective's does. */
	slowFirstLine?: string;
	status?: StatusDirective;
	/** Counted per prompt line, as `status` is. */
	drop?: StatusDirective;
	hang?: boolean;
	usageLimit?: UsageLimitDirective;
	usageWarning?: boolean;
};

// Each directive kind is taken from the newest user message that carries it, so a resumed or follow-up prompt
// can override the original one while a plain "Continue" keeps the first prompt's script.
export function parseDirectives(messages: ApiMessage[]): Directives {
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
			const match = /\[\[slow:(\d+)(:first)?\]\]/.exec(text);
			if (match) {
				directives.slowMs = Number(match[1]);
				if (match[2]) {
					directives.slowFirstLine = text.split('\n').find(candidate => candidate.includes(match[0])) ?? match[0];
				}
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

		if (directives.drop === undefined) {
			const match = /\[\[drop:(\d+)\]\]/.exec(text);
			if (match) {
				const line = text.split('\n').find(candidate => candidate.includes(match[0])) ?? match[0];
				directives.drop = {code: 0, count: Number(match[1]), messageText: line};
			}
		}

		if (directives.usageLimit === undefined) {
			const match = /\[\[usage-limit:(\d+)(?::(\w+))?\]\]/.exec(text);
			if (match) {
				const line = text.split('\n').find(candidate => candidate.includes(match[0])) ?? match[0];
				directives.usageLimit = {seconds: Number(match[1]), kind: match[2] ?? 'five_hour', line};
			}
		}

		if (directives.usageWarning === undefined && text.includes('[[usage-warning]]')) {
			directives.usageWarning = true;
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
