import type {Task} from './task.js';

/** GitHub shows about this much of a title before cutting it. */
const TITLE_CHARS = 72;
const BODY_PROMPT_CHARS = 4_000;
const BODY_RESULT_CHARS = 12_000;

/** A pull request's title and body from the task that made the change: its prompt says what, its result how. */
export function pullRequestText(task: Pick<Task, 'id' | 'prompt' | 'result'>): {title: string; body: string} {
	const firstLine = task.prompt.trim().split('\n')[0]!.trim();
	const title = firstLine.length > TITLE_CHARS ? `${firstLine.slice(0, TITLE_CHARS - 1).trimEnd()}…` : firstLine;
	const sections = [`## Task\n\n${cut(task.prompt.trim(), BODY_PROMPT_CHARS)}`];
	if (task.result?.trim()) sections.push(`## Result\n\n${cut(task.result.trim(), BODY_RESULT_CHARS)}`);
	sections.push(`---\nOpened by ccfleet for task ${task.id}.`);
	return {title: title || `ccfleet task ${task.id}`, body: sections.join('\n\n')};
}

function cut(text: string, max: number): string {
	return text.length > max ? `${text.slice(0, max)}\n\n… (${text.length - max} more characters)` : text;
}
