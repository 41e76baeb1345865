import {statSync} from 'node:fs';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {ROLE_NAMES, ROLES} from '../../core/domain/roles.js';
import {TASK_STATUSES} from '../../core/domain/task.js';
import {MAX_PROMPT_CHARS, taskIdSchema, taskSpecSchema} from '../../core/domain/task-spec.js';
import type {Fleet} from '../../core/fleet.js';
import {taskView} from '../task-view.js';
import {failure, guard, ok} from './tool-result.js';
import {resumeResultSchema, rolesResultSchema, taskLogsResultSchema, taskResultSchema, taskStatusResultSchema} from '../../protocol/tool-results.js';

const MAX_TAIL_LINES = 10_000;

export function checkDirectory(cwd: string): string | undefined {
	if (!cwd.startsWith('/')) return `cwd must be an absolute path, got "${cwd}".`;
	try {
		if (!statSync(cwd).isDirectory()) return `cwd ${cwd} is not a directory. Give the absolute path of the project directory the worker should run in.`;
	} catch {
		return `cwd ${cwd} does not exist. Give the absolute path of an existing project directory.`;
	}
	return undefined;
}

/** Who is on the other end, as recorded with what they do: `cli`, `dashboard`, or `mcp:<client name>`. */
export function clientLabel(server: McpServer): string {
	const name = server.server.getClientVersion()?.name ?? 'unknown';
	if (name === 'ccfleet-cli') return 'cli';
	if (name === 'ccfleet-dashboard') return 'dashboard';
	return `mcp:${name}`;
}

/** delegate_task, task_status, task_logs, cancel_task, retry_task, resume_task. */
export function registerTaskTools(server: McpServer, fleet: Fleet): void {
	server.registerTool(
		'delegate_task',
		{
			outputSchema: taskResultSchema,
			title: 'Delegate a task to a background Claude Code worker',
			description:
				'Queues a task for a separate Claude Code worker that runs in its own process, in the given directory, and returns at once with the task id. ' +
				'Use it for self-contained work that can run while you do something else (reviews, refactors, test fixes, research). ' +
				'The prompt must stand on its own: the worker does not see this conversation. ' +
				'Then use wait_for_task to get the result, task_status to look in, and respond_to_task if the worker asks for permission.',
			inputSchema: taskSpecSchema,
		},
		async spec =>
			guard(() => {
				const bad = checkDirectory(spec.cwd);
				if (bad) return failure(bad);
				const task = fleet.submit(spec);
				const view = taskView(fleet, fleet.get(task.id), {promptChars: 200});
				return ok(
					{task: view},
					`Task ${task.id} is ${view.status}${view.queuePosition ? ` (#${view.queuePosition} in the queue)` : ''}${view.waitingOn?.length ? ` and waits for ${view.waitingOn.join(', ')}` : ''}. ` +
						`Get its result with wait_for_task {"ids":["${task.id}"]}. ${JSON.stringify({id: task.id})}`,
				);
			}),
	);

	server.registerTool(
		'list_roles',
		{
			outputSchema: rolesResultSchema,
			title: 'Roles a worker can take on',
			description: "The roles delegate_task's `role` accepts, each with the instructions it adds to the worker's system prompt.",
			inputSchema: {},
			annotations: {readOnlyHint: true},
		},
		async () => {
			const roles = ROLE_NAMES.map(name => ({name, title: ROLES[name].title, instructions: ROLES[name].prompt}));
			return ok({roles}, roles.map(role => `${role.name}: ${role.instructions}`).join('\n\n'));
		},
	);

	server.registerTool(
		'task_status',
		{
			outputSchema: taskStatusResultSchema,
			title: 'Status of one task or of all tasks',
			description:
				'With an id: that task in full (status, result, failure reason, cost, tokens, lineage, and the permission question if it waits for one). ' +
				'Without: the most recent tasks, optionally only some statuses, with counts. Statuses: queued, running, needs_input (a worker waits for a permission answer: use respond_to_task), completed, failed, cancelled.',
			inputSchema: {
				id: taskIdSchema.optional(),
				status: z.array(z.enum(TASK_STATUSES)).max(6).optional().describe('Only tasks in these statuses (without id).'),
				limit: z.number().int().positive().max(1000).optional().describe('At most this many of the newest tasks (without id); default 50.'),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, status, limit}) =>
			guard(() => {
				if (id) return ok({task: taskView(fleet, fleet.get(id))});
				const tasks = fleet.list({...(status ? {statuses: status} : {}), limit: limit ?? 50}).map(task => taskView(fleet, task, {promptChars: 200}));
				return ok({tasks, counts: fleet.counts()});
			}),
	);

	server.registerTool(
		'task_logs',
		{
			outputSchema: taskLogsResultSchema,
			title: 'What a worker did',
			description:
				"A task's log: its prompt, each tool it used with a summary of what came back, the questions it asked, and its final answer. " +
				"`tail` gives the last lines only; `since` (a byte offset from an earlier call's `bytes`) only what came after; `screen: true` adds a running worker's terminal screen.",
			inputSchema: {
				id: taskIdSchema,
				tail: z.number().int().positive().max(MAX_TAIL_LINES).optional().describe('Only the last N lines.'),
				since: z.number().int().min(0).optional().describe('Only output after this many bytes (the `bytes` of an earlier call).'),
				screen: z.boolean().optional().describe("Add the live worker's terminal screen."),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, tail, since, screen}) =>
			guard(() => {
				const log = fleet.logs(id, tail ? {tailLines: tail} : {});
				let text = log.text;
				if (since !== undefined) text = Buffer.from(log.text, 'utf8').subarray(since).toString('utf8');
				const lines = screen ? fleet.screen(id) : undefined;
				const structured = {id, log: text, bytes: log.bytes, truncated: log.truncated, ...(lines ? {screen: lines} : {})};
				const shown = text + (log.truncated ? '\n[the log reached its cap; later output was not kept]' : '') + (lines ? `\n--- screen ---\n${lines.join('\n')}` : '');
				return ok(structured, shown || `Task ${id} has no ${since === undefined ? '' : 'new '}output yet.`);
			}),
	);

	server.registerTool(
		'cancel_task',
		{
			outputSchema: taskResultSchema,
			title: 'Cancel a task',
			description: 'Cancels a queued task, or stops a running one (its whole process tree). The reason is recorded with the task.',
			inputSchema: {
				id: taskIdSchema,
				reason: z.string().max(2000).optional().describe('Why it is cancelled; kept with the task.'),
			},
			annotations: {destructiveHint: true},
		},
		async ({id, reason}) =>
			guard(async () => {
				const task = await fleet.cancel(id, {by: clientLabel(server), ...(reason ? {reason} : {})});
				return ok({task: taskView(fleet, task)}, `Task ${id} is ${task.status}.`);
			}),
	);

	server.registerTool(
		'retry_task',
		{
			outputSchema: taskResultSchema,
			title: 'Run a finished task again',
			description:
				'Runs a completed, failed or cancelled task again from scratch as a new task (same prompt, directory and settings; a new Claude conversation). The new task records `retryOf`.',
			inputSchema: {id: taskIdSchema},
		},
		async ({id}) =>
			guard(() => {
				const task = fleet.retry(id);
				return ok({task: taskView(fleet, fleet.get(task.id), {promptChars: 200})}, `Task ${task.id} retries ${id}; it is ${fleet.get(task.id).status}.`);
			}),
	);

	server.registerTool(
		'resume_task',
		{
			outputSchema: resumeResultSchema,
			title: 'Continue a finished task',
			description:
				'Continues a completed, failed or cancelled task as a new task. If its Claude conversation is on disk the worker resumes it (claude --resume) and reads `additionalContext` as the next message; ' +
				'otherwise a fresh worker gets a prompt that retells the task and its outcome. The new task records `parentTaskId`.',
			inputSchema: {
				id: taskIdSchema,
				additionalContext: z.string().max(MAX_PROMPT_CHARS).optional().describe('What to do next, e.g. "Also add tests" or "The build still fails: <output>".'),
			},
		},
		async ({id, additionalContext}) =>
			guard(() => {
				const task = fleet.resume(id, additionalContext);
				const resumedConversation = task.sessionId === fleet.get(id).sessionId;
				const how = resumedConversation ? 'resumes its conversation' : 'retells it to a fresh worker (its conversation is not on disk)';
				return ok({task: taskView(fleet, fleet.get(task.id), {promptChars: 200}), resumedConversation}, `Task ${task.id} continues ${id} and ${how}.`);
			}),
	);
}
