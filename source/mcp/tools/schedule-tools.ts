import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {MISSED_RUN_POLICIES, SCHEDULE_STATUSES} from '../../core/domain/schedule.js';
import {taskSpecShape} from '../../core/domain/task-spec.js';
import type {Scheduler} from '../../core/scheduler.js';
import {describeSchedule, runView, scheduleView} from '../schedule-view.js';
import {checkDirectory, clientLabel} from './task-tools.js';
import {failure, guard, ok} from './tool-result.js';
import {pipelineResultSchema, scheduleResultSchema, scheduleWithRunsResultSchema, schedulesResultSchema} from '../../protocol/tool-results.js';

const MAX_PIPELINE_STEPS = 50;
const MAX_DELAY_MS = 30 * 24 * 3_600_000;

const scheduleIdSchema = z.string().min(1).max(100).describe('The schedule id that schedule_task (or list_schedules) returned.');

/** A pipeline's steps share every setting of a task but the prompt. */
const {prompt: _prompt, ...stepSettings} = taskSpecShape;

/** schedule_task, schedule_pipeline, list_schedules, get_schedule, pause_schedule, resume_schedule, cancel_schedule. */
export function registerScheduleTools(server: McpServer, scheduler: Scheduler): void {
	server.registerTool(
		'schedule_task',
		{
			outputSchema: scheduleResultSchema,
			title: 'Run a task later, or again and again',
			description:
				'Schedules a background Claude Code task: recurring with `cron` (five fields, read in `timezone`), or once with `at` (ISO 8601). ' +
				'Give exactly one of cron and at. Schedules live in the ccfleet core and fire whether or not this conversation is still open, and survive restarts. ' +
				'A run never starts while the previous run of the same schedule still works (that run is recorded as skipped-overlap). ' +
				'Returns the schedule with its next run; get_schedule shows its run history and the task ids it started.',
			inputSchema: {
				...taskSpecShape,
				cron: z
					.string()
					.max(200)
					.optional()
					.describe(
						'Recurring: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5" (09:00 on weekdays), "*/30 * * * *" (every 30 minutes), "0 2 1 * *" (02:00 on the 1st). No seconds, no @aliases.',
					),
				at: z
					.string()
					.max(100)
					.optional()
					.describe('Once: an ISO 8601 time in the future, e.g. "2026-03-08T09:00" (read in `timezone`) or "2026-03-08T14:00:00Z" / "2026-03-08T09:00-05:00".'),
				timezone: z
					.string()
					.max(100)
					.optional()
					.describe(
						'IANA time zone for cron and for an `at` without an offset, e.g. "Europe/Berlin", "America/New_York", "UTC"; default the machine\'s. DST is handled: "0 9 * * *" stays at 09:00 local.',
					),
				missedRunPolicy: z
					.enum(MISSED_RUN_POLICIES)
					.optional()
					.describe(
						'Runs that fell due while ccfleet was not running: skip (default) drops them, catchup runs once for all of them when ccfleet is back, fail records each as failed.',
					),
			},
		},
		async ({cron, at, timezone, missedRunPolicy, ...spec}) =>
			guard(() => {
				const bad = checkDirectory(spec.cwd);
				if (bad) return failure(bad);
				const schedule = scheduleView(
					scheduler.create({
						task: spec,
						...(cron ? {cron} : {}),
						...(at ? {at} : {}),
						...(timezone ? {timezone} : {}),
						...(missedRunPolicy ? {missedRunPolicy} : {}),
					}),
					{promptChars: 200},
				);
				return ok(
					{schedule},
					`Schedule ${schedule.id} is active; its first run is at ${schedule.nextRunLocal} (${schedule.nextRunAt}). ` +
						`See its runs with get_schedule {"id":"${schedule.id}"}; stop it with cancel_schedule. ${JSON.stringify({id: schedule.id})}`,
				);
			}),
	);

	server.registerTool(
		'schedule_pipeline',
		{
			outputSchema: pipelineResultSchema,
			title: 'Run prompts one after another',
			description:
				"Chains tasks: the first step starts now; each next step starts `delay` ms after the previous step's task completes, in the same directory and with the same settings. " +
				'If a step fails or is cancelled, the steps after it are cancelled with the reason. Each step is a one-time schedule (list_schedules and get_schedule show them).',
			inputSchema: {
				steps: z.array(taskSpecShape.prompt).min(1).max(MAX_PIPELINE_STEPS).describe('One self-contained prompt per step, in order.'),
				...stepSettings,
				delay: z.number().int().min(0).max(MAX_DELAY_MS).optional().describe('Milliseconds between a step completing and the next one starting; default 0.'),
			},
		},
		async ({steps, delay, ...settings}) =>
			guard(() => {
				const bad = checkDirectory(settings.cwd);
				if (bad) return failure(bad);
				const {pipelineId, schedules} = scheduler.pipeline({steps, ...(delay === undefined ? {} : {delayMs: delay}), task: settings});
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
			description:
				'Every schedule (oldest first) with its status, cron or time, time zone and next run. Statuses: active, paused, cancelled, completed (a one-time schedule that has fired).',
			inputSchema: {
				status: z.array(z.enum(SCHEDULE_STATUSES)).max(4).optional().describe('Only schedules in these statuses; default all.'),
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
			description:
				'A schedule in full and its latest runs: when each was due, when it fired, the task it started (look at it with task_status) and the outcome ' +
				'(started, completed, failed, cancelled, skipped-overlap, missed-skipped, missed-failed, not-started).',
			inputSchema: {
				id: scheduleIdSchema,
				runs: z.number().int().min(0).max(1000).optional().describe('How many of the latest runs to include; default 20.'),
			},
			annotations: {readOnlyHint: true},
		},
		async ({id, runs}) =>
			guard(() => {
				const schedule = scheduleView(scheduler.get(id));
				const history = scheduler.runs(id, runs ?? 20).map(runView);
				return ok({schedule, runs: history});
			}),
	);

	server.registerTool(
		'pause_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Pause a schedule',
			description: 'Stops an active schedule from firing until resume_schedule. A task it already started goes on.',
			inputSchema: {id: scheduleIdSchema},
		},
		async ({id}) =>
			guard(() => {
				const schedule = scheduleView(scheduler.pause(id));
				return ok({schedule}, `Schedule ${id} is paused.`);
			}),
	);

	server.registerTool(
		'resume_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Resume a paused schedule',
			description:
				'Makes a paused schedule active again. A cron schedule continues with its next time from now; what fell due while paused is not run. A one-time schedule whose time passed runs now.',
			inputSchema: {id: scheduleIdSchema},
		},
		async ({id}) =>
			guard(() => {
				const schedule = scheduleView(scheduler.resume(id));
				return ok({schedule}, `Schedule ${id} is ${schedule.status}${schedule.nextRunLocal ? `; next run ${schedule.nextRunLocal}` : ''}.`);
			}),
	);

	server.registerTool(
		'cancel_schedule',
		{
			outputSchema: scheduleResultSchema,
			title: 'Cancel a schedule',
			description:
				'Ends a schedule for good (later steps of its pipeline too). A task it already started goes on; stop that with cancel_task. The reason is kept with the schedule.',
			inputSchema: {
				id: scheduleIdSchema,
				reason: z.string().max(2000).optional().describe('Why it is cancelled; kept with the schedule.'),
			},
			annotations: {destructiveHint: true},
		},
		async ({id, reason}) =>
			guard(() => {
				const schedule = scheduleView(scheduler.cancel(id, reason?.trim() || `cancelled by ${clientLabel(server)}`));
				return ok({schedule}, `Schedule ${id} is cancelled.`);
			}),
	);
}
