import type {TokenHolder} from './token-store.js';

// What a read-only token may do over MCP. REST routes say it themselves (access: 'write'); /mcp carries every tool and
// method in one route, so each message of a body is judged here before the transport sees it.

/**
 * The tools a read-only token may call: they change nothing. Every other tool, including one added later, counts as
 * a write until it is listed here.
 */
export const READ_ONLY_TOOLS: ReadonlySet<string> = new Set([
	'task_status',
	'task_logs',
	'list_roles',
	'fleet_status',
	'list_questions',
	'wait_for_task',
	'list_schedules',
	'get_schedule',
	'list_workflow_templates',
]);

/**
 * The MCP methods a read-only token may send; tools/call then only for READ_ONLY_TOOLS. An allow-list too: a method
 * the SDK or ccfleet adds later is refused to a read-only token until it is judged and listed here. Responses (to the
 * server's own requests, such as roots/list) carry no method and pass.
 */
export const READ_ONLY_METHODS: ReadonlySet<string> = new Set([
	'initialize',
	'ping',
	'tools/list',
	'tools/call',
	'resources/list',
	'resources/templates/list',
	'resources/read',
	'resources/subscribe',
	'resources/unsubscribe',
	'prompts/list',
	'prompts/get',
	'completion/complete',
	'logging/setLevel',
	'notifications/initialized',
	'notifications/cancelled',
	'notifications/progress',
	'notifications/roots/list_changed',
]);

/** Why a read-only token may not send this body (one message or a batch), with the refused request's id; undefined when it may. */
export function readOnlyRefusal(body: unknown, holder: TokenHolder): {reason: string; id: unknown} | undefined {
	if (!holder.isReadOnly) return undefined;
	for (const message of Array.isArray(body) ? body : [body]) {
		const {method, params, id} = (message ?? {}) as {method?: unknown; params?: {name?: unknown}; id?: unknown};
		if (method === undefined) continue;
		const name = typeof method === 'string' ? method : JSON.stringify(method);
		if (!READ_ONLY_METHODS.has(name)) return {reason: `may not send ${name} (it may send ${[...READ_ONLY_METHODS].join(', ')})`, id};
		if (method === 'tools/call' && !READ_ONLY_TOOLS.has(String(params?.name))) {
			return {reason: `${String(params?.name)} changes the fleet (it may call ${[...READ_ONLY_TOOLS].join(', ')})`, id};
		}
	}
	return undefined;
}
