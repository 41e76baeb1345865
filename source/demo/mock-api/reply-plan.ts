// What the next answer says, decided from the directives before any byte is written: text, or text and one tool
// call. Writing it (as a stream or as JSON) is message-writer's job.
import {planCall} from './call-script.js';
import {defaultToolCommand, type Directives} from './directives.js';
import {hasToolResult, type MessagesBody} from './request.js';

export const defaultMockReply = 'Hello from mock.';
export const toolDoneReply = 'Tool finished. Done.';
export const toolRefusedReply = 'Tool was refused.';

export type Plan = {kind: 'text'; text: string} | {kind: 'tool'; text: string; name: string; input: Record<string, unknown>};

export function planReply(body: MessagesBody, directives: Directives, defaultReply: string): Plan {
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
export function sideReply(body: MessagesBody, defaultReply: string): string {
	const system = typeof body.system === 'string' ? body.system : JSON.stringify(body.system ?? '');
	return /JSON with a single \\?"title\\?" field/.test(system) ? JSON.stringify({title: 'Mock session'}) : defaultReply;
}
