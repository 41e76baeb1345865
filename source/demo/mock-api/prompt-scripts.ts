// Directives kept off the prompt: the demo's tasks read like a person's, and the mock is told beside them what to do
// with each. A script applies to every user message that contains its `match` text, as if its directives were
// written there, so nothing of the script reaches the worker's screen, the task's status or its log.
import type {ApiMessage} from './request.js';
import {userText} from './request.js';

/** `match`: text of the prompt (its first line is enough); `directives`: what the prompt would otherwise carry. */
export type PromptScript = {match: string; directives: string};

/** The messages with each scripted one's directives added, for parseDirectives; the rest unchanged. */
export function applyPromptScripts(messages: ApiMessage[], scripts: readonly PromptScript[]): ApiMessage[] {
	if (scripts.length === 0) return messages;
	return messages.map(message => {
		if (message.role !== 'user') return message;
		const text = userText(message);
		const added = scripts.filter(script => text.includes(script.match)).map(script => script.directives);
		if (added.length === 0) return message;
		const blocks = typeof message.content === 'string' ? [{type: 'text', text: message.content}] : (message.content ?? []);
		return {...message, content: [...blocks, {type: 'text', text: added.join(' ')}]};
	});
}
