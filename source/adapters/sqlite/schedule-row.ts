/**
 * A schedule and a run as rows of the schedules and schedule_runs tables, and back: the only place that knows the
 * columns, for SQLite and PostgreSQL alike (postgres-schedule-store.ts reads its jsonb task as text to match).
 */
import {FleetError} from '../../core/domain/errors.js';
import {
	MISSED_RUN_POLICIES,
	RUN_OUTCOMES,
	SCHEDULE_KINDS,
	SCHEDULE_STATUSES,
	type NewScheduleRun,
	type Schedule,
	type ScheduleRun,
	type ScheduleTaskTemplate,
} from '../../core/domain/schedule.js';

export type ScheduleRow = {
	id: string;
	kind: string;
	cron: string | null;
	run_at: number | null;
	timezone: string;
	missed_run_policy: string;
	status: string;
	/** The task template as JSON text. */
	task: string;
	next_run_at: number | null;
	last_run_at: number | null;
	created_at: number;
	updated_at: number;
	end_reason: string | null;
	pipeline_id: string | null;
	pipeline_step: number | null;
	pipeline_steps: number | null;
	pipeline_delay_ms: number | null;
};

export type RunRow = {
	/** Given by the database (or, on PostgreSQL, reserved from its sequence); read as a number. */
	id: number;
	schedule_id: string;
	scheduled_for: number;
	fired_at: number;
	task_id: string | null;
	outcome: string;
	ended_at: number | null;
	missed_count: number | null;
	detail: string | null;
};

export const SCHEDULE_COLUMNS = [
	'id',
	'kind',
	'cron',
	'run_at',
	'timezone',
	'missed_run_policy',
	'status',
	'task',
	'next_run_at',
	'last_run_at',
	'created_at',
	'updated_at',
	'end_reason',
	'pipeline_id',
	'pipeline_step',
	'pipeline_steps',
	'pipeline_delay_ms',
] as const satisfies ReadonlyArray<keyof ScheduleRow>;

/** The columns a run is written with (runToRow's); its id is the database's. */
export const RUN_COLUMNS = ['schedule_id', 'scheduled_for', 'fired_at', 'task_id', 'outcome', 'ended_at', 'missed_count', 'detail'] as const satisfies ReadonlyArray<
	keyof RunRow
>;

export function scheduleToRow(schedule: Schedule): ScheduleRow {
	return {
		id: schedule.id,
		kind: schedule.kind,
		cron: schedule.cron ?? null,
		run_at: schedule.runAt ?? null,
		timezone: schedule.timezone,
		missed_run_policy: schedule.missedRunPolicy,
		status: schedule.status,
		task: JSON.stringify(schedule.task),
		next_run_at: schedule.nextRunAt ?? null,
		last_run_at: schedule.lastRunAt ?? null,
		created_at: schedule.createdAt,
		updated_at: schedule.updatedAt,
		end_reason: schedule.endReason ?? null,
		pipeline_id: schedule.pipeline?.pipelineId ?? null,
		pipeline_step: schedule.pipeline?.step ?? null,
		pipeline_steps: schedule.pipeline?.steps ?? null,
		pipeline_delay_ms: schedule.pipeline?.delayMs ?? null,
	};
}

/** Optional fields are left out when NULL, so a stored schedule reads back deep-equal to what was written. */
export function scheduleFromRow(row: ScheduleRow): Schedule {
	return {
		id: row.id,
		kind: checked(row.id, 'kind', row.kind, SCHEDULE_KINDS),
		...(row.cron === null ? {} : {cron: row.cron}),
		...(row.run_at === null ? {} : {runAt: row.run_at}),
		timezone: row.timezone,
		missedRunPolicy: checked(row.id, 'missed_run_policy', row.missed_run_policy, MISSED_RUN_POLICIES),
		status: checked(row.id, 'status', row.status, SCHEDULE_STATUSES),
		task: JSON.parse(row.task) as ScheduleTaskTemplate,
		...(row.next_run_at === null ? {} : {nextRunAt: row.next_run_at}),
		...(row.last_run_at === null ? {} : {lastRunAt: row.last_run_at}),
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		...(row.end_reason === null ? {} : {endReason: row.end_reason}),
		...(row.pipeline_id === null
			? {}
			: {pipeline: {pipelineId: row.pipeline_id, step: row.pipeline_step ?? 0, steps: row.pipeline_steps ?? 0, delayMs: row.pipeline_delay_ms ?? 0}}),
	};
}

export function runToRow(run: NewScheduleRun): Omit<RunRow, 'id'> {
	return {
		schedule_id: run.scheduleId,
		scheduled_for: run.scheduledFor,
		fired_at: run.firedAt,
		task_id: run.taskId ?? null,
		outcome: run.outcome,
		ended_at: run.endedAt ?? null,
		missed_count: run.missedCount ?? null,
		detail: run.detail ?? null,
	};
}

export function runFromRow(row: RunRow): ScheduleRun {
	return {
		id: row.id,
		scheduleId: row.schedule_id,
		scheduledFor: row.scheduled_for,
		firedAt: row.fired_at,
		...(row.task_id === null ? {} : {taskId: row.task_id}),
		outcome: checked(`${row.schedule_id} (run ${row.id})`, 'outcome', row.outcome, RUN_OUTCOMES),
		...(row.ended_at === null ? {} : {endedAt: row.ended_at}),
		...(row.missed_count === null ? {} : {missedCount: row.missed_count}),
		...(row.detail === null ? {} : {detail: row.detail}),
	};
}

function checked<T extends string>(id: string, column: string, value: string, allowed: readonly T[]): T {
	if ((allowed as readonly string[]).includes(value)) return value as T;
	throw new FleetError(
		`Schedule ${id} has ${column} "${value}" in the database, which this ccfleet does not know (expected one of ${allowed.join(', ')}). Upgrade ccfleet, or fix the row by hand.`,
	);
}
