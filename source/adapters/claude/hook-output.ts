import type {HookEvent, HookPayload} from './hook-server.js';

const MAX_DETAIL_CHARS = 200;

/** API errors that pass by themselves (claude's own names for them), so a task that met one is worth another try. */
export const TRANSIENT_API_ERRORS: ReadonlySet<string> = new Set(['rate_limit', 'overloaded', 'server_error']);

function clip(text: string, max = MAX_DETAIL_CHARS): string {
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

function responseText(response: unknown): string {
	if (typeof response === 'string') return response;
	if (typeof response === 'object' && response !== null) {
		const fields = response as Record<string, unknown>;
		const text = [fields.stdout, fields.stderr, fields.content, fields.output].filter(value => typeof value === 'string' && value).join(' ');
		if (text) return text;
	}
	return JSON.stringify(response ?? '');
}

/**
 * The log line(s) one hook event adds to a task's output: what the worker was asked, which tools it used and
 * what they returned, the questions it asked, and its final answer.
 */
export function formatHookOutput(event: HookEvent, payload: HookPayload): string | undefined {
	switch (event) {
		case 'UserPromptSubmit':
			return `› ${clip(String(payload.prompt ?? ''), 500)}\n`;
		case 'PreToolUse':
			return `⏺ ${describeTool(payload.tool_name, payload.tool_input)}\n`;
		case 'PostToolUse':
			return `  ⎿ ${clip(responseText(payload.tool_response))}\n`;
		case 'PostToolUseFailure':
			return `  ⎿ failed: ${clip(String(payload.error ?? ''))}\n`;
		case 'PermissionRequest':
			return `? permission needed: ${describeTool(payload.tool_name, payload.tool_input)}\n`;
		case 'PermissionDenied':
			return `  ⎿ denied: ${clip(String(payload.reason ?? ''))}\n`;
		case 'Notification':
			return payload.notification_type === 'permission_prompt' ? undefined : `! ${clip(String(payload.message ?? ''))}\n`;
		case 'Stop':
			return typeof payload.last_assistant_message === 'string' ? `${payload.last_assistant_message}\n` : undefined;
		case 'StopFailure':
			return `✗ ${String(payload.error ?? 'error')}: ${clip(String(payload.error_details ?? payload.last_assistant_message ?? ''))}\n`;
		case 'SessionStart':
		case 'SessionEnd':
			return undefined;
	}
}
