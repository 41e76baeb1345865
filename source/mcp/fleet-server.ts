import {statSync} from 'node:fs';
import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js';
import {z} from 'zod';
import {FleetError} from '../core/domain/errors.js';
import {PERMISSION_MODES, PRIORITIES, TASK_STATUSES} from '../core/domain/task.js';
import type {Fleet} from '../core/fleet.js';
import {taskView} from './task-view.js';

export const SERVER_INFO = {name: 'ccfleet', version: '0.1.0'};

/** Longest prompt a tool takes: megabytes, so `git diff` output fits. */
const MAX_PROMPT_CHARS = 16 * 1024 * 1024;
const MAX_TAIL_LINES = 10_000;

const taskId = z.string().min(1).max(100).describe('The task id that delegate_task returned, e.g. "k3f9a2".');

function ok(structured: Record<string, unknown>, text?: string): CallToolResult {
	return {content: [{type: 'text', text: text ?? JSON.stringify(structured, null, 2)}], structuredContent: structured};
}

function failure(message: string): CallToolResult {
	return {isError: true, content: [{type: 'text', text: message}]};
}

/** Expected failures (unknown id, bad input) become an isError result that says what to do; anything else too, without taking the server down. */
async function guard(run: () => Promise<CallToolResult> | CallToolResult): Promise<CallToolResult> {
	try {
		return await run();
	} catch (error) {
		if (error instanceof FleetError) return failure(error.message);
		return failure(`ccfleet could not do that: ${error instanceof Error ? error.message : String(error)}`);
	}
}

function checkDirectory(cwd: string): string | undefined {
	try {
		if (!statSync(cwd).isDirectory()) return `cwd ${cwd} is not a directory. Give the absolute path of the project directory the worker should run in.`;
	} catch {
		return `cwd ${cwd} does not exist. Give the absolute path of an existing project directory.`;
	}
	return undefined;
}

/** Who is on the other end, as recorded with what they do: `cli`, `dashboard`, or `mcp:<client name>`. */
function clientLabel(server: McpServer): string {
	const name = server.server.getClientVersion()?.name ?? 'unknown';
	if (name === 'ccfleet-cli') return 'cli';
	if (name === 'ccfleet-dashboard') return 'dashboard';
	return `mcp:${name}`;
}

/** The MCP face of the fleet: one server per client connection, all sharing the one fleet. */
export function createFleetMcpServer(fleet: Fleet): McpServer {
	const server = new McpServer(SERVER_INFO, {
		capabilities: {logging: {}},
		instructions:
			'ccfleet runs background Claude Code workers. Hand work off with delegate_task, check it with task_status, read what a worker did with task_logs, and stop it with cancel_task. Tasks survive restarts.',
	});

	server.registerTool(
		'delegate_task',
		{
			title: 'Delegate a task to a background Claude Code worker',
			description:
				'Queues a task for a separate Claude Code worker that runs in its own process, in the given directory, and returns at once with the task id. ' +
				'Use it for self-contained work that can run while you do something else (reviews, refactors, test fixes, research). ' +
				'The prompt must stand on its own: the worker does not see this conversation. Check progress with task_status and the outcome with task_status or task_logs.',
			inputSchema: {
				prompt: z.string().min(1).max(MAX_PROMPT_CHARS).describe('Everything the worker needs to know: the goal, the files involved, how to verify, what to report back.'),
				cwd: z.string().min(1).max(4096).describe('Absolute path of the directory the worker runs in (usually the project root).'),
				priority: z.enum(PRIORITIES).optional().describe('P0 runs before P1 before P2; default P1.'),
				timeout: z.number().int().positive().max(7 * 24 * 3_600_000).optional().describe('Milliseconds the task may run before it fails; default TASK_TIMEOUT (30 minutes).'),
				permissionMode: z.enum(PERMISSION_MODES).optional().describe('claude --permission-mode for the worker; default acceptEdits (edits allowed, other tools ask).'),
				model: z.string().min(1).max(200).optional().describe('claude --model for the worker, e.g. "sonnet" or "opus"; default: claude\'s own.'),
			},
		},
		async ({prompt, cwd, priority, timeout, permissionMode, model}) =>
			guard(() => {
				if (!cwd.startsWith('/')) return failure(`cwd must be an absolute path, got "${cwd}".`);
				const bad = checkDirectory(cwd);
				if (bad) return failure(bad);
				const task = fleet.submit({
					prompt,
					cwd,
					...(priority ? {priority} : {}),
					...(timeout ? {timeoutMs: timeout} : {}),
					...(permissionMode ? {permissionMode} : {}),
					...(model ? {model} : {}),
				});
				const view = taskView(fleet, fleet.get(task.id), {promptChars: 200});
				return ok({task: view}, `Task ${task.id} is ${view.status}${view.queuePosition ? ` (#${view.queuePosition} in the queue)` : ''}. Check it with task_status {"id":"${task.id}"}.`);
			}),
	);

	server.registerTool(
		'task_status',
		{
			title: 'Status of one task or of all tasks',
			description:
				'With an id: that task in full (status, result, failure reason, cost, tokens, and the permission question if it waits for one). ' +
				'Without: the most recent tasks, optionally only some statuses. Statuses: queued, running, needs_input (a worker waits for a permission answer), completed, failed, cancelled.',
			inputSchema: {
				id: taskId.optional(),
				status: z.array(z.enum(TASK_STATUSES)).max(6).optional().describe('Only tasks in these statuses (without id).'),
				limit: z.number().int().positive().max(1000).optional().describe('At most this many of the newest tasks (without id); default 50.'),
			},
		},
		async ({id, status, limit}) =>
			guard(() => {
				if (id) {
					const view = taskView(fleet, fleet.get(id));
					return ok({task: view});
				}
				const tasks = fleet.list({...(status ? {statuses: status} : {}), limit: limit ?? 50}).map(task => taskView(fleet, task, {promptChars: 200}));
				return ok({tasks, counts: fleet.counts()});
			}),
	);

	server.registerTool(
		'task_logs',
		{
			title: 'What a worker did',
			description:
				"A task's log: its prompt, each tool it used with a summary of what came back, the questions it asked, and its final answer. " +
				'For a running task, `screen: true` adds the worker\'s current terminal screen.',
			inputSchema: {
				id: taskId,
				tail: z.number().int().positive().max(MAX_TAIL_LINES).optional().describe('Only the last N lines.'),
				screen: z.boolean().optional().describe("Add the live worker's terminal screen."),
			},
		},
		async ({id, tail, screen}) =>
			guard(() => {
				const log = fleet.logs(id, tail ? {tailLines: tail} : {});
				const lines = screen ? fleet.screen(id) : undefined;
				const structured = {id, log: log.text, bytes: log.bytes, truncated: log.truncated, ...(lines ? {screen: lines} : {})};
				const text = log.text + (log.truncated ? '\n[the log reached MAX_OUTPUT_BUFFER; later output was not kept]' : '') + (lines ? `\n--- screen ---\n${lines.join('\n')}` : '');
				return ok(structured, text || `Task ${id} has no output yet.`);
			}),
	);

	server.registerTool(
		'cancel_task',
		{
			title: 'Cancel a task',
			description: 'Cancels a queued task, or stops a running one (its whole process tree). The reason is recorded with the task.',
			inputSchema: {
				id: taskId,
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

	return server;
}
