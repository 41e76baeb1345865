import type {HookEvent, HookPayload} from './hook-server.js';
import {asText, clip, describeTool} from './tool-text.js';

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
			return `› ${clip(asText(payload.prompt), 500)}\n`;
		case 'PreToolUse':
			return `⏺ ${describeTool(payload.tool_name, payload.tool_input)}\n`;
		case 'PostToolUse':
			return `  ⎿ ${clip(responseText(payload.tool_response))}\n`;
		case 'PostToolUseFailure':
			return `  ⎿ failed: ${clip(asText(payload.error))}\n`;
		case 'PermissionRequest':
			return `? permission needed: ${describeTool(payload.tool_name, payload.tool_input)}\n`;
		case 'PermissionDenied':
			return `  ⎿ denied: ${clip(asText(payload.reason))}\n`;
		case 'Notification':
			return payload.notification_type === 'permission_prompt' ? undefined : `! ${clip(asText(payload.message))}\n`;
		case 'Stop':
			return typeof payload.last_assistant_message === 'string' ? `${payload.last_assistant_message}\n` : undefined;
		case 'StopFailure':
			return `✗ ${asText(payload.error, 'error')}: ${clip(asText(payload.error_details ?? payload.last_assistant_message))}\n`;
		case 'SessionStart':
		case 'SessionEnd':
			return undefined;
	}
}
