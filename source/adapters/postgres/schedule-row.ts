/**
 * A schedule and a run as rows of the PostgreSQL tables, and back. The same mapping as sqlite/sqlite-schedule-store.ts
 * (which keeps its own private), with the task template as jsonb (pg parses it) and run ids as bigint read as numbers.
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

export const RUN_COLUMNS = ['schedule_id', 'scheduled_for', 'fired_at', 'task_id', 'outcome', 'ended_at', 'missed_count', 'detail'] as const;
/** Run ids are bigserial, which pg returns as strings; as double precision they come back as numbers, exact to 2^53. */
export const RUN_SELECT = `id::double precision AS id, ${RUN_COLUMNS.join(', ')}`;

type ScheduleRow = {
	id: string;
	kind: string;
	cron: string | null;
	run_at: number | null;
	timezone: string;
	missed_run_policy: string;
	status: string;
	/** jsonb: pg hands it over parsed. */
	task: ScheduleTaskTemplate;
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
type RunRow = {
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

/** The values of SCHEDULE_COLUMNS, in order. */
export function scheduleValues(schedule: Schedule): unknown[] {
	return [
		schedule.id,
		schedule.kind,
		schedule.cron ?? null,
		schedule.runAt ?? null,
		schedule.timezone,
		schedule.missedRunPolicy,
		schedule.status,
		JSON.stringify(schedule.task),
		schedule.nextRunAt ?? null,
		schedule.lastRunAt ?? null,
		schedule.createdAt,
		schedule.updatedAt,
		schedule.endReason ?? null,
		schedule.pipeline?.pipelineId ?? null,
		schedule.pipeline?.step ?? null,
		schedule.pipeline?.steps ?? null,
		schedule.pipeline?.delayMs ?? null,
	];
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
		task: row.task,
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

/** The values of RUN_COLUMNS, in order. */
export function runValues(run: NewScheduleRun): unknown[] {
	return [run.scheduleId, run.scheduledFor, run.firedAt, run.taskId ?? null, run.outcome, run.endedAt ?? null, run.missedCount ?? null, run.detail ?? null];
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

export type {RunRow, ScheduleRow};

function checked<T extends string>(id: string, column: string, value: string, allowed: readonly T[]): T {
	if ((allowed as readonly string[]).includes(value)) return value as T;
	throw new FleetError(
		`Schedule ${id} has ${column} "${value}" in the database, which this ccfleet does not know (expected one of ${allowed.join(', ')}). Upgrade ccfleet, or fix the row by hand.`,
	);
}
