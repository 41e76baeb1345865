import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {isTerminal} from '../../core/domain/task.js';
import type {Fleet} from '../../core/fleet.js';
import {taskView, type TaskView} from '../task-view.js';
import {failure, guard, ok, taskIdSchema} from './tool-result.js';
import {questionsResultSchema, respondResultSchema, waitResultSchema} from '../../protocol/tool-results.js';
import type {PermissionDecision} from '../../core/ports/worker-driver.js';
import {questionViews} from '../question-view.js';

/** Claude Code gives up on a tool call after its own limit; a wait returns well before it and says how to go on. */
const WAIT_DEFAULT_MS = 50_000;
const WAIT_MAX_MS = 55_000;
const PROGRESS_EVERY_MS = 5_000;

/** respond_to_task, list_questions and wait_for_task: answering workers and waiting for them. */
export function registerInteractionTools(server: McpServer, fleet: Fleet): void {
	server.registerTool(
		'respond_to_task',
		{
			outputSchema: respondResultSchema,
			title: 'Answer a worker that waits for input',
			description:
				'Answers the permission question of a task in needs_input (list_questions shows them all). approve lets the tool run, deny refuses it (the worker reads `message`), text types into the worker. ' +
				'`matching` (a rule such as "Bash(npm test:*)") instead of `id` answers every waiting question it covers. `always` with approve adds a rule so the same call passes next time, for the task or its project.',
			inputSchema: {
				id: taskIdSchema.optional(),
				action: z.enum(['approve', 'deny', 'text']),
				message: z.string().max(10_000).optional().describe('With deny: why, so the worker can take another way.'),
				text: z.string().max(100_000).optional().describe('With text: what to type.'),
				matching: z.string().max(1000).optional().describe('A permission rule; answers every waiting question it covers.'),
				always: z.enum(['task', 'project']).optional(),
			},
		},
		async ({id, action, message, text, matching, always}) =>
			guard(async () => {
				const decision: PermissionDecision = action === 'deny' ? {behavior: 'deny', message: message?.trim() || 'The user denied this.'} : {behavior: 'allow'};
				const options = always ? {always} : {};
				if (matching !== undefined) {
					if (action === 'text') return failure('`matching` answers permission questions: use approve or deny with it.');
					const answered = (await fleet.anywhere.respondMatching(matching, decision, options)).map(task => task.id);
					const verb = action === 'approve' ? 'Approved' : 'Denied';
					return ok(
						{answered},
						answered.length > 0
							? `${verb} ${answered.length} waiting question(s) ${matching} covers: ${answered.join(', ')}.`
							: `No waiting question is covered by ${matching}.`,
					);
				}
				if (!id) return failure('Give `id` (the task whose question to answer) or `matching` (a rule, to answer every waiting question it covers).');
				// Another host's worker asks too: the inbox lists its question, and its host answers it.
				const question = fleet.worker(id)?.question ?? fleet.questions().find(waiting => waiting.taskId === id)?.question;
				let answered = fleet.get(id);
				if (action === 'text') {
					if (!text) return failure('action "text" needs `text`: what to type into the worker.');
					const host = fleet.hosts.ofTask(id);
					if (!fleet.worker(id) && host !== undefined && host !== fleet.hosts.ownId) {
						return failure(`Task ${id} runs on host ${host}; typing into its worker works only there (its socket, HTTP or dashboard).`);
					}
					fleet.sendInput(id, `${text}\r`);
				} else answered = await fleet.anywhere.respond(id, decision, options);
				const view = taskView(fleet, answered);
				const what = action === 'text' ? 'Typed the text into' : `${action === 'approve' ? 'Approved' : 'Denied'} ${question?.question ?? 'the question'} for`;
				const kept = always ? ` The same call passes without asking from now on, for this ${always}.` : '';
				return ok({task: view}, `${what} task ${id}; it is now ${view.status}.${kept}`);
			}),
	);

	server.registerTool(
		'list_questions',
		{
			outputSchema: questionsResultSchema,
			title: 'Every permission question waiting for an answer',
			description:
				'The inbox: every question a worker waits on across the fleet, oldest first, with its task, directory, tool call and the last lines before it. Answer with respond_to_task.',
			inputSchema: {},
			annotations: {readOnlyHint: true},
		},
		async () =>
			guard(() => {
				const questions = questionViews(fleet);
				return ok(
					{questions},
					questions.length === 0 ? 'No question is waiting.' : questions.map(q => `${q.taskId} (${Math.round(q.waitingMs / 1000)} s): ${q.question}`).join('\n'),
				);
			}),
	);

	server.registerTool(
		'wait_for_task',
		{
			outputSchema: waitResultSchema,
			title: 'Wait for tasks to finish',
			description:
				'Waits until every given task has ended (completed, failed or cancelled), or one of them needs input (answer it with respond_to_task), or the timeout passes; ' +
				`then returns their status and results. It returns within ${WAIT_MAX_MS / 1000} s so as not to hit the tool time limit: if tasks are still pending, call it again with the ids in \`pending\`. ` +
				'Sends progress notifications while it waits.',
			inputSchema: {
				ids: z.array(taskIdSchema).min(1).max(50).describe('Task ids to wait for.'),
				timeout: z.number().int().positive().max(WAIT_MAX_MS).optional().describe(`Milliseconds to wait at most; default ${WAIT_DEFAULT_MS}.`),
			},
			annotations: {readOnlyHint: true},
		},
		async ({ids, timeout}, extra) =>
			guard(async () => {
				const unique = [...new Set(ids)];
				for (const id of unique) fleet.get(id);
				const settled = () => {
					const tasks = unique.map(id => fleet.get(id));
					return tasks.every(task => isTerminal(task.status)) || tasks.some(task => task.status === 'needs_input');
				};
				const started = Date.now();
				if (!settled()) {
					await new Promise<void>(resolve => {
						const finish = () => {
							off();
							clearTimeout(timer);
							clearInterval(progress);
							extra.signal.removeEventListener('abort', finish);
							resolve();
						};
						const off = fleet.on('task:updated', ({task}) => {
							if (unique.includes(task.id) && settled()) finish();
						});
						const timer = setTimeout(finish, timeout ?? WAIT_DEFAULT_MS);
						const token = extra._meta?.progressToken;
						const progress = setInterval(() => {
							if (token === undefined) return;
							const done = unique.filter(id => isTerminal(fleet.get(id).status)).length;
							extra
								.sendNotification({
									method: 'notifications/progress',
									params: {
										progressToken: token,
										progress: done,
										total: unique.length,
										message: progressLine(
											unique.map(id => taskView(fleet, fleet.get(id))),
											Date.now() - started,
										),
									},
								})
								.catch(() => undefined);
						}, PROGRESS_EVERY_MS);
						extra.signal.addEventListener('abort', finish);
					});
				}
				const tasks = unique.map(id => taskView(fleet, fleet.get(id)));
				const pending = tasks.filter(task => !isTerminal(task.status)).map(task => task.id);
				const needsInput = tasks.filter(task => task.status === 'needs_input').map(task => task.id);
				const heldBy = fleet.admissionState().heldBy;
				return ok({tasks, allDone: pending.length === 0, pending, needsInput, ...(heldBy ? {heldBy} : {})}, waitSummary(tasks, pending, needsInput, heldBy));
			}),
	);
}

function progressLine(tasks: TaskView[], waitedMs: number): string {
	const parts = tasks.map(task => `${task.id} ${task.status}`);
	return `${Math.round(waitedMs / 1000)} s: ${parts.join(', ')}`;
}

/** `heldBy`: why queued tasks do not start (a usage limit, a spent budget, the machine's resources), if they do not. */
function waitSummary(tasks: TaskView[], pending: string[], needsInput: string[], heldBy: string | undefined): string {
	const lines = tasks.map(task => {
		if (task.status === 'completed') return `Task ${task.id} completed. Result:\n${task.result ?? ''}`;
		if (task.status === 'needs_input')
			return `Task ${task.id} needs input: ${task.question?.question ?? 'a permission answer'} Answer with respond_to_task {"id":"${task.id}","action":"approve"} (or "deny").`;
		if (task.status === 'parked') return `Task ${task.id} is parked at the account's usage limit until ${task.parkedUntil ?? 'its reset'}; it goes on by itself then.`;
		if (task.status === 'failed' || task.status === 'cancelled') return `Task ${task.id} ${task.status}: ${task.failureReason ?? 'no reason recorded'}`;
		if (task.status === 'queued' && heldBy && task.queuePosition !== undefined) return `Task ${task.id} is still queued: ${heldBy}.`;
		return `Task ${task.id} is still ${task.status}.`;
	});
	if (pending.length > 0 && needsInput.length === 0) lines.push(`Still pending: call wait_for_task {"ids":${JSON.stringify(pending)}} again.`);
	return lines.join('\n\n');
}
