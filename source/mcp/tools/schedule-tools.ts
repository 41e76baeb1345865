import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {MISSED_RUN_POLICIES, SCHEDULE_STATUSES} from '../../core/domain/schedule.js';
import type {TaskSpec} from '../../core/domain/task-spec.js';
import type {Scheduler} from '../../core/scheduler.js';
import {describeSchedule, runView, scheduleView} from '../schedule-view.js';
import {listedInput, mcpTaskShape, type McpTaskInput} from './task-shape.js';
import {clientLabel, taskDirectory} from './task-tools.js';
import {failure, guard, ok} from './tool-result.js';
import {pipelineResultSchema, scheduleResultSchema, scheduleWithRunsResultSchema, schedulesResultSchema} from '../../protocol/tool-results.js';

const MAX_PIPELINE_STEPS = 50;
const MAX_DELAY_MS = 30 * 24 * 3_600_000;

const scheduleIdSchema = z.string().min(1).max(100);

/** A pipeline's steps share every setting of a task but the prompt. */
const {prompt: _prompt, ...stepSettings} = mcpTaskShape;
/** What the schedule tools list of a task's fields; they take every other delegate_task field as well. */
const ALSO = 'Takes delegate_task fields.';
/** The prompt as delegate_task describes it. */
const prompt = mcpTaskShape.prompt.describe('As in delegate_task.');

/** schedule_task, schedule_pipeline, list_schedules, get_schedule, pause_schedule, resume_schedule, cancel_schedule. */
export function registerScheduleTools(server: McpServer, scheduler: Scheduler): void {
	server.registerTool(
		'schedule_task',
		{
			outputSchema: scheduleResultSchema,
			title: 'Run a task later, or again and again',
			description: `Runs a task by cron or once at a time, also after this conversation; never two runs at once. ${ALSO}`,
			inputSchema: listedInput(
				{
					prompt,
					cwd: mcpTaskShape.cwd,
					cron: z.string().max(200).optional().describe('5 fields, e.g. "0 9 * * 1-5".'),
					at: z.string().max(100).optional().describe('ISO 8601; without offset in timezone.'),
					timezone: z.string().max(100).optional().describe("IANA zone; default the machine's."),
					missedRunPolicy: z.enum(MISSED_RUN_POLICIES).optional().describe('Runs due while down; default skip.'),
				},
				mcpTaskShape,
			),
		},
		async ({cron, at, timezone, missedRunPolicy, cwd, ...spec}) =>
			guard(async () => {
				const directory = await taskDirectory(server, cwd);
				if ('error' in directory) return failure(directory.error);
				const schedule = scheduleView(
					scheduler.create({
						task: {...(spec as Omit<McpTaskInput, 'cwd'>), cwd: directory.cwd},
						...(cron ? {cron} : {}),
						...(at ? {at} : {}),
						...(timezone ? {timezone} : {}),
						...(missedRunPolicy ? {missedRunPolicy} : {}),
					}),
					{promptChars: 200},
				);
				await scheduler.flush();
				return ok(
					{schedule},
					`Schedule ${schedule.id} is active; its first run is at ${schedule.nextRunLocal} (${schedule.nextRunAt}). ` +
						`See its runs with get_schedule {"id":"${schedule.id}"}; stop it with cancel_schedule.`,
				);
			}),
	);

	server.registerTool(
		'schedule_pipeline',
		{
			outputSchema: pipelineResultSchema,
			title: 'Run prompts one after another',
			description: `Runs steps one by one, each delay after the last completed; a failure cancels the rest. ${ALSO}`,
			inputSchema: listedInput(
				{
					steps: z.array(prompt).min(1).max(MAX_PIPELINE_STEPS),
					cwd: mcpTaskShape.cwd,
					delay: z.number().int().min(0).max(MAX_DELAY_MS).optional().describe('Between steps: ms, or "5m"; default 0.'),
				},
				stepSettings,
			),
		},
		async ({steps, delay, cwd, ...settings}) =>
			guard(async () => {
				const directory = await taskDirectory(server, cwd);
				if ('error' in directory) return failure(directory.error);
				const task = {...(settings as Omit<McpTaskInput, 'cwd' | 'prompt'>), cwd: directory.cwd} as Omit<TaskSpec, 'prompt'>;
				const {pipelineId, schedules} = scheduler.pipeline({steps, ...(delay === undefined ? {} : {delayMs: delay}), task});
				await scheduler.flush();
				const views = schedules.map(schedule => scheduleView(schedule, {promptChars: 200}));
				const firstTask = scheduler.runs(schedules[0]!.id, 1)[0]?.taskId;
				return ok(
					{pipelineId, schedules: views, ...(firstTask ? {firstTaskId: firstTask} : {})},
					`Pipeline ${pipelineId}: ${views.length} step${views.length === 1 ? '' : 's'} (${views.map(view => view.id).join(' → ')}).` +
						(firstTask ? ` Step 1 is task ${firstTask}.` : ''),
				);
			}),
	);

	server.registerTool(
		'list_schedules',
		{
			outputSchema: schedulesResultSchema,
			title: 'List schedules',
			description: 'Every schedule with its next run.',
			inputSchema: {
				status: z.array(z.enum(SCHEDULE_STATUSES)).max(SCHEDULE_STATUSES.length).optional(),
			},
			annotations: {readOnlyHint: true},
		},
		async ({status}) =>
			guard(() => {
				const schedules = scheduler.list(status ? {statuses: status} : {}).map(schedule => scheduleView(schedule, {promptChars: 200}));
				return ok({schedules}, schedules.length === 0 ? 'No schedules yet. Create one with schedule_task.' : schedules.map(describeSchedule).join('\n'));
			}),
	);

	server.registerTool(
		'get_schedule',
		{
			outputSchema: scheduleWithRunsResultSchema,
			title: 'One schedule with its run history',
			description: 'A schedule and its latest runs, each with its task and outcome.',
			inputSchema: {
				id: scheduleIdSchema,
				runs: z.number().int().min(0).max(1000).optional().describe('Default 20.'),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, runs}) =>
			guard(() => {
				const schedule = scheduleView(scheduler.get(id));
				const history = scheduler.runs(id, runs ?? 20).map(runView);
				return ok({schedule, runs: history}, `${describeSchedule(schedule)}; ${history.length} run${history.length === 1 ? '' : 's'} shown.`);
			}),
	);

	server.registerTool(
		'pause_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Pause a schedule',
			description: 'Stops a schedule firing until resume_schedule.',
			inputSchema: {id: scheduleIdSchema},
		},
		async ({id}) =>
			guard(async () => {
				const schedule = scheduleView(scheduler.pause(id));
				await scheduler.flush();
				return ok({schedule}, `Schedule ${id} is paused.`);
			}),
	);

	server.registerTool(
		'resume_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Resume a paused schedule',
			description: 'Makes a paused schedule active again from now.',
			inputSchema: {id: scheduleIdSchema},
		},
		async ({id}) =>
			guard(async () => {
				const schedule = scheduleView(scheduler.resume(id));
				await scheduler.flush();
				return ok({schedule}, `Schedule ${id} is ${schedule.status}${schedule.nextRunLocal ? `; next run ${schedule.nextRunLocal}` : ''}.`);
			}),
	);

	server.registerTool(
		'cancel_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Cancel a schedule',
			description: 'Ends a schedule and its later pipeline steps; a started task goes on.',
			inputSchema: {
				id: scheduleIdSchema,
				reason: z.string().max(2000).optional(),
			},
			annotations: {destructiveHint: true},
		},
		async ({id, reason}) =>
			guard(async () => {
				const schedule = scheduleView(scheduler.cancel(id, reason?.trim() || `cancelled by ${clientLabel(server)}`));
				await scheduler.flush();
				return ok({schedule}, `Schedule ${id} is cancelled.`);
			}),
	);
}
