import {formatInZone, type Schedule, type ScheduleRun} from '../core/domain/schedule.js';
import type {ScheduleRunView, ScheduleView} from '../protocol/views.js';

export type {ScheduleRunView, ScheduleView} from '../protocol/views.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function scheduleView(schedule: Schedule, options: {promptChars?: number} = {}): ScheduleView {
	const max = options.promptChars;
	const prompt =
		max !== undefined && schedule.task.prompt.length > max ? `${schedule.task.prompt.slice(0, max)}… (${schedule.task.prompt.length} characters)` : schedule.task.prompt;
	return {
		id: schedule.id,
		kind: schedule.kind,
		status: schedule.status,
		...(schedule.cron ? {cron: schedule.cron} : {}),
		...(schedule.runAt === undefined ? {} : {runAt: iso(schedule.runAt)}),
		timezone: schedule.timezone,
		missedRunPolicy: schedule.missedRunPolicy,
		task: {...schedule.task, prompt},
		...(schedule.nextRunAt === undefined ? {} : {nextRunAt: iso(schedule.nextRunAt), nextRunLocal: formatInZone(schedule.nextRunAt, schedule.timezone)}),
		...(schedule.lastRunAt === undefined ? {} : {lastRunAt: iso(schedule.lastRunAt)}),
		createdAt: iso(schedule.createdAt),
		updatedAt: iso(schedule.updatedAt),
		...(schedule.endReason ? {endReason: schedule.endReason} : {}),
		...(schedule.pipeline ? {pipeline: schedule.pipeline} : {}),
	};
}

export function runView(run: ScheduleRun): ScheduleRunView {
	return {
		id: run.id,
		scheduledFor: iso(run.scheduledFor),
		firedAt: iso(run.firedAt),
		...(run.taskId ? {taskId: run.taskId} : {}),
		outcome: run.outcome,
		...(run.endedAt === undefined ? {} : {endedAt: iso(run.endedAt)}),
		...(run.missedCount === undefined ? {} : {missedCount: run.missedCount}),
		...(run.detail ? {detail: run.detail} : {}),
	};
}

/** One line per schedule: what it runs and when next. */
export function describeSchedule(schedule: ScheduleView): string {
	if (schedule.kind === 'once' && !schedule.pipeline) {
		return `${schedule.id} ${schedule.status}: once at ${schedule.runAt ? formatInZone(Date.parse(schedule.runAt), schedule.timezone) : '(no time)'}`;
	}
	const when =
		schedule.kind === 'cron'
			? `cron "${schedule.cron}" (${schedule.timezone})`
			: `pipeline ${schedule.pipeline!.pipelineId} step ${schedule.pipeline!.step}/${schedule.pipeline!.steps}`;
	const next = schedule.nextRunLocal ? `, next ${schedule.nextRunLocal}` : schedule.status === 'active' && schedule.pipeline ? ', waits for the step before it' : '';
	return `${schedule.id} ${schedule.status}: ${when}${next}`;
}
