import {statSync} from 'node:fs';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {TASK_STATUSES} from '../../core/domain/task.js';
import {MAX_PROMPT_CHARS, taskIdSchema} from '../../core/domain/task-spec.js';
import type {Fleet} from '../../core/fleet.js';
import type {TaskView} from '../../protocol/views.js';
import {taskView} from '../task-view.js';
import {NO_SESSION_DIRECTORY, sessionDirectory} from './session-directory.js';
import {mcpTaskShape} from './task-shape.js';
import {failure, guard, ok} from './tool-result.js';
import {cancelResultSchema, resumeResultSchema, rolesResultSchema, taskLogsResultSchema, taskResultSchema, taskStatusResultSchema} from '../../protocol/tool-results.js';
import {isWorkflowId} from '../../core/domain/workflow-expansion.js';
import {logElsewhere} from '../../core/domain/other-host.js';

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

/**
 * The directory a task runs in: the one given, else the calling session's (its roots, or the directory it stated);
 * `{error}` says what is wrong when there is none or it cannot be used.
 */
export async function taskDirectory(server: McpServer, cwd: string | undefined): Promise<{cwd: string} | {error: string}> {
	const directory = cwd ?? (await sessionDirectory(server));
	if (directory === undefined) return {error: NO_SESSION_DIRECTORY};
	const bad = checkDirectory(directory);
	return bad ? {error: cwd === undefined ? `${bad} (It is this session's directory; give cwd.)` : bad} : {cwd: directory};
}

/** One line for a task: where it stands, for the text beside the structured answer. */
export function taskLine(view: TaskView): string {
	const where = view.queuePosition ? ` (#${view.queuePosition} in the queue)` : view.waitingOn?.length ? ` (waits for ${view.waitingOn.join(', ')})` : '';
	const why = view.failureReason ? `: ${view.failureReason}` : view.question ? `: waits for an answer to "${view.question.question}" (respond_to_task)` : '';
	return `Task ${view.id} is ${view.status}${where}${why}.`;
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
				'Queues self-contained work (a review, refactor, fix, research) for a separate Claude Code worker that does not see this conversation; returns its id at once. wait_for_task gets the result.',
			inputSchema: mcpTaskShape,
		},
		async ({cwd, ...spec}) =>
			guard(async () => {
				const directory = await taskDirectory(server, cwd);
				if ('error' in directory) return failure(directory.error);
				const task = await fleet.submitChecked({...spec, cwd: directory.cwd});
				// On a shared store the task is written behind: answered once it is there for every host to see.
				await fleet.flush();
				const view = taskView(fleet, fleet.get(task.id), {promptChars: 200});
				return ok({task: view}, `${taskLine(view)} Get its result with wait_for_task {"ids":["${task.id}"]}.`);
			}),
	);

	server.registerTool(
		'list_roles',
		{
			outputSchema: rolesResultSchema,
			title: 'Roles a worker can take on',
			description: "delegate_task's roles and the instructions each adds to the worker's system prompt.",
			inputSchema: {},
			annotations: {readOnlyHint: true},
		},
		async () => {
			const roles = fleet.workflows.catalog().roles.map(role => ({name: role.name, title: role.title, instructions: role.prompt}));
			return ok({roles}, `${roles.length} roles: ${roles.map(role => role.name).join(', ')}.`);
		},
	);

	server.registerTool(
		'task_status',
		{
			outputSchema: taskStatusResultSchema,
			title: 'Status of one task or of all tasks',
			description: 'With id: that task in full (result, failure, cost, question; prompt shortened unless fullPrompt). Without: newest tasks and counts.',
			inputSchema: {
				id: taskIdSchema.optional(),
				status: z.array(z.enum(TASK_STATUSES)).max(TASK_STATUSES.length).optional(),
				limit: z.number().int().positive().max(1000).optional().describe('Default 50.'),
				fullPrompt: z.boolean().optional(),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, status, limit, fullPrompt}) =>
			guard(() => {
				if (id) {
					// ccfleet's own CLI and dashboard show a task's whole prompt; a model asks for it.
					const view = taskView(fleet, fleet.get(id), {fullPrompt: fullPrompt === true || !clientLabel(server).startsWith('mcp:')});
					return ok({task: view}, taskLine(view));
				}
				const tasks = fleet.list({...(status ? {statuses: status} : {}), limit: limit ?? 50}).map(task => taskView(fleet, task, {promptChars: 200}));
				const counts = fleet.counts();
				const summary = Object.entries(counts)
					.filter(([, count]) => count > 0)
					.map(([name, count]) => `${count} ${name}`)
					.join(', ');
				return ok({tasks, counts}, `${tasks.length} task${tasks.length === 1 ? '' : 's'} shown${summary ? ` (all: ${summary})` : ''}.`);
			}),
	);

	server.registerTool(
		'task_logs',
		{
			outputSchema: taskLogsResultSchema,
			title: 'What a worker did',
			description: "A task's log: tools used and their results, questions, answer.",
			inputSchema: {
				id: taskIdSchema,
				tail: z.number().int().positive().max(MAX_TAIL_LINES).optional().describe('Last N lines.'),
				since: z.number().int().min(0).optional().describe('`bytes` of an earlier call.'),
				screen: z.boolean().optional().describe('Add the live screen.'),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, tail, since, screen}) =>
			guard(() => {
				// Only what follows `since` is read from the log (a poller's every call would otherwise read it whole).
				const log = fleet.logs(id, tail ? {tailLines: tail} : since !== undefined ? {sinceBytes: since} : {});
				let text = log.text;
				if (since !== undefined && tail) text = Buffer.from(log.text, 'utf8').subarray(since).toString('utf8');
				const lines = screen ? fleet.screen(id) : undefined;
				const structured = {id, log: text, bytes: log.bytes, truncated: log.truncated, ...(lines ? {screen: lines} : {})};
				// The log is in `log` only; the message says what it is.
				// Another host's task wrote its log on that host: say where, rather than that there is none.
				const elsewhere = text ? undefined : logElsewhere({id, status: fleet.get(id).status, host: fleet.hosts.ofTask(id)}, fleet.hosts.ownId);
				const about = text
					? `${Buffer.byteLength(text).toLocaleString('en-US')} bytes of task ${id}'s log${since === undefined ? '' : ` after byte ${since}`}; ${log.bytes} bytes in all (pass as since for what comes next).`
					: (elsewhere ?? `Task ${id} has no ${since === undefined ? '' : 'new '}output yet.`);
				return ok(structured, `${about}${log.truncated ? ' The log reached its cap; later output was not kept.' : ''}`);
			}),
	);

	server.registerTool(
		'cancel_task',
		{
			outputSchema: cancelResultSchema,
			title: 'Cancel a task or a workflow',
			// A workflow's id (wf-…) is taken too; create_workflow's answer says so, where the model meets that id.
			description: 'Cancels a queued task or stops a running one (its whole process tree).',
			inputSchema: {
				id: taskIdSchema,
				reason: z.string().max(2000).optional(),
			},
			annotations: {destructiveHint: true},
		},
		async ({id, reason}) =>
			guard(async () => {
				const how = {by: clientLabel(server), ...(reason ? {reason} : {})};
				if (isWorkflowId(id)) {
					const steps = await fleet.workflows.cancel(id, how);
					const lines = steps.map(step => `${step.workflow?.step ?? ''} ${step.id} ${step.status}`).join(', ');
					return ok({task: taskView(fleet, steps.at(-1)!), tasks: steps.map(step => taskView(fleet, step, {promptChars: 200}))}, `Workflow ${id}: ${lines}.`);
				}
				const task = await fleet.cancel(id, how);
				return ok({task: taskView(fleet, task)}, `Task ${id} is ${task.status}.`);
			}),
	);

	server.registerTool(
		'retry_task',
		{
			outputSchema: taskResultSchema,
			title: 'Run a finished task again',
			description: 'Runs an ended task again as a new task with a fresh conversation.',
			inputSchema: {id: taskIdSchema},
		},
		async ({id}) =>
			guard(async () => {
				const task = fleet.retry(id);
				await fleet.flush();
				return ok({task: taskView(fleet, fleet.get(task.id), {promptChars: 200})}, `Task ${task.id} retries ${id}; it is ${fleet.get(task.id).status}.`);
			}),
	);

	server.registerTool(
		'resume_task',
		{
			outputSchema: resumeResultSchema,
			title: 'Continue a finished task',
			description: 'Continues an ended task as a new task in its conversation, additionalContext as the next message.',
			inputSchema: {
				id: taskIdSchema,
				additionalContext: z.string().max(MAX_PROMPT_CHARS).optional(),
			},
		},
		async ({id, additionalContext}) =>
			guard(async () => {
				const task = fleet.resume(id, additionalContext);
				await fleet.flush();
				const resumedConversation = task.sessionId === fleet.get(id).sessionId;
				const how = resumedConversation ? 'resumes its conversation' : 'retells it to a fresh worker (its conversation is not on disk)';
				return ok({task: taskView(fleet, fleet.get(task.id), {promptChars: 200}), resumedConversation}, `Task ${task.id} continues ${id} and ${how}.`);
			}),
	);
}
