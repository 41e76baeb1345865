import {TaskNotFoundError} from '../core/domain/errors.js';
import type {Fleet} from '../core/fleet.js';
import {readJsonObject} from './request-body.js';
import {HttpError, sendJson, type HttpRoute, type RouteContext} from './router.js';
import {wantsEventStream} from './sse.js';
import {streamFleetEvents, streamTaskLog} from './streams.js';

/** The REST route of each tool, for the OpenAPI document: which tool answers it, and which fields come from the path. */
export type ToolRoute = HttpRoute & {operationId: string; tool?: string; pathFields?: string[]; status?: number; query?: Record<string, string>};

/** The query parameters of the routes that take any, with what each means (for the OpenAPI document too). */
const QUERIES = {
	list: {status: 'Statuses, separated by commas: queued,running,needs_input,…', limit: 'How many tasks (default 50, at most 1000)'},
	task: {fullPrompt: 'true: the whole prompt, not its first 200 characters'},
	logs: {tail: 'The last N lines only'},
};

/** The refusal of a task without cwd: over HTTP the fleet cannot know the caller's directory. */
export const NO_CWD = "cwd is required over HTTP: the absolute path of the project directory on the fleet machine (the caller's own directory is not known here).";

/** The query parameters a route takes; anything else is refused by name. */
function readQuery(url: URL, accepted: readonly string[]): Record<string, string> {
	const query: Record<string, string> = {};
	for (const [key, value] of url.searchParams) {
		if (!accepted.includes(key)) throw new HttpError(400, `Unknown query parameter ${key}. ${url.pathname} accepts: ${accepted.join(', ') || 'none'}.`);
		query[key] = value;
	}
	return query;
}

/** 404 for a task id the fleet does not know, before a tool says it in a 400 (an old task of a shared store read back first). */
async function knownTask(fleet: Fleet, id: string): Promise<void> {
	await fleet.preload([id]);
	try {
		fleet.get(id);
	} catch (error) {
		if (error instanceof TaskNotFoundError) throw new HttpError(404, error.message);
		throw error;
	}
}

/** Calls `tool` for the token's holder and answers with its structured content, or 400 with its refusal. */
async function answer(context: RouteContext, tool: string, args: Record<string, unknown>, status = 200): Promise<void> {
	const result = await context.services.tools.call(context.holder!.name, tool, args);
	if (result.isError) throw new HttpError(400, result.message);
	sendJson(context.response, status, result.structured);
}

/** A body that also names the id of the path is refused: one id per request, in the path. */
async function bodyWithoutId(context: RouteContext): Promise<Record<string, unknown>> {
	const body = await readJsonObject(context.request);
	if ('id' in body) throw new HttpError(400, `Leave id out of the body: the task is the one in the path (${context.params['id']}).`);
	return body;
}

/** Numbers and lists in a query are text; the tools take them typed. */
function listQuery(query: Record<string, string>): Record<string, unknown> {
	const args: Record<string, unknown> = {};
	if (query['status'] !== undefined) args['status'] = query['status'].split(',').map(status => status.trim());
	if (query['limit'] !== undefined) args['limit'] = /^\d+$/.test(query['limit']) ? Number(query['limit']) : query['limit'];
	return args;
}

/** The REST API: each route answers with what its MCP tool answers (see the contract in the README, "Remote control"). */
export const REST_ROUTES: readonly ToolRoute[] = [
	{
		method: 'GET',
		path: '/fleet',
		operationId: 'getFleet',
		access: 'read',
		tool: 'fleet_status',
		summary: 'The fleet at a glance',
		handle: context => answer(context, 'fleet_status', readQuery(context.url, [])),
	},
	{
		method: 'GET',
		path: '/tasks',
		operationId: 'listTasks',
		access: 'read',
		tool: 'task_status',
		summary: 'The newest tasks (?status=queued,running&limit=50) and counts',
		query: QUERIES.list,
		handle: context => answer(context, 'task_status', listQuery(readQuery(context.url, Object.keys(QUERIES.list)))),
	},
	{
		method: 'POST',
		path: '/tasks',
		operationId: 'delegateTask',
		access: 'write',
		tool: 'delegate_task',
		status: 201,
		summary: 'Delegate a task (cwd is required: a directory on the fleet machine)',
		handle: async context => {
			const body = await readJsonObject(context.request);
			// Over HTTP there is no session directory to fall back on.
			if (body['cwd'] === undefined) throw new HttpError(400, `${NO_CWD} Example: {"prompt": "…", "cwd": "/home/me/project"}.`);
			return answer(context, 'delegate_task', body, 201);
		},
	},
	{
		method: 'GET',
		path: '/tasks/:id',
		operationId: 'getTask',
		access: 'read',
		tool: 'task_status',
		pathFields: ['id'],
		summary: 'One task in full (?fullPrompt=true for the whole prompt)',
		query: QUERIES.task,
		handle: async context => {
			const query = readQuery(context.url, Object.keys(QUERIES.task));
			await knownTask(context.services.fleet, context.params['id']!);
			return answer(context, 'task_status', {id: context.params['id'], ...(query['fullPrompt'] === undefined ? {} : {fullPrompt: query['fullPrompt'] === 'true'})});
		},
	},
	{
		method: 'GET',
		path: '/tasks/:id/logs',
		operationId: 'getTaskLogs',
		access: 'read',
		summary: "A task's log as text/plain (?tail=N lines); with Accept: text/event-stream, its output as it comes (events output, status, end)",
		query: QUERIES.logs,
		handle: async ({url, params, response, request, services}) => {
			const query = readQuery(url, Object.keys(QUERIES.logs));
			const id = params['id']!;
			await knownTask(services.fleet, id);
			if (wantsEventStream(request)) {
				streamTaskLog(services.fleet, id, response);
				return;
			}
			const tail = query['tail'] === undefined ? undefined : Number(query['tail']);
			if (tail !== undefined && (!Number.isInteger(tail) || tail < 1)) throw new HttpError(400, `tail must be a whole number of lines above 0, got "${query['tail']}".`);
			const log = services.fleet.logs(id, tail ? {tailLines: tail} : {});
			response.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8', 'X-Log-Bytes': String(log.bytes), 'X-Log-Truncated': String(log.truncated)});
			response.end(log.text);
		},
	},
	{
		method: 'POST',
		path: '/tasks/:id/cancel',
		operationId: 'cancelTask',
		access: 'write',
		tool: 'cancel_task',
		pathFields: ['id'],
		summary: 'Cancel a task ({"reason": "…"} optional)',
		handle: async context => {
			const body = await bodyWithoutId(context);
			await knownTask(context.services.fleet, context.params['id']!);
			return answer(context, 'cancel_task', {...body, id: context.params['id']});
		},
	},
	{
		method: 'POST',
		path: '/tasks/:id/respond',
		operationId: 'respondToTask',
		access: 'write',
		tool: 'respond_to_task',
		pathFields: ['id'],
		summary: 'Answer the question of a task in needs_input (as respond_to_task, without id)',
		handle: async context => {
			const body = await bodyWithoutId(context);
			await knownTask(context.services.fleet, context.params['id']!);
			return answer(context, 'respond_to_task', {...body, id: context.params['id']});
		},
	},
	{
		method: 'GET',
		path: '/questions',
		operationId: 'listQuestions',
		access: 'read',
		tool: 'list_questions',
		summary: 'Every question workers wait on',
		handle: context => answer(context, 'list_questions', readQuery(context.url, [])),
	},
	{
		method: 'GET',
		path: '/events',
		operationId: 'streamEvents',
		access: 'read',
		summary: 'Server-sent events: `fleet` with a snapshot first, then each change set (as the ccfleet://fleet resource notification carries)',
		handle: ({url, response, services}) => {
			readQuery(url, []);
			streamFleetEvents(services.fleet, services.scheduler, response);
		},
	},
];
