import type {PermissionQuestion, WorkerActivity} from '../../core/ports/worker-driver.js';

const MAX_DETAIL_CHARS = 200;

/** One line of at most `max` characters, for a log line or a question. */
export function clip(text: string, max = MAX_DETAIL_CHARS): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** `Bash(git status)`, `Edit(src/a.ts)`: a tool call as a person reads it. */
export function describeTool(name: unknown, input: unknown): string {
	const tool = typeof name === 'string' ? name : 'tool';
	const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
	const detail = fields.command ?? fields.file_path ?? fields.path ?? fields.pattern ?? fields.url ?? fields.description;
	return typeof detail === 'string' ? `${tool}(${clip(detail)})` : tool;
}

/** A tool call as the worker's current activity: `{tool: 'Bash', detail: 'npm test'}`. */
export function toolActivity(name: unknown, input: unknown): WorkerActivity {
	const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
	const detail = fields.command ?? fields.file_path ?? fields.path ?? fields.pattern ?? fields.url ?? fields.description;
	return {tool: typeof name === 'string' ? name : 'tool', detail: typeof detail === 'string' ? clip(detail) : ''};
}

/** The question a worker waits on when claude asks to use a tool. */
export function permissionQuestion(toolName: unknown, toolInput: unknown): PermissionQuestion {
	return {toolName: typeof toolName === 'string' ? toolName : 'a tool', toolInput: toolInput ?? {}, question: `Allow ${describeTool(toolName, toolInput)}?`};
}

/** A hook payload's field as text: a string as it is, anything else as JSON, nothing as the fallback. */
export function asText(value: unknown, fallback = ''): string {
	if (value === undefined || value === null) return fallback;
	return typeof value === 'string' ? value : JSON.stringify(value);
}
