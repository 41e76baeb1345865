import {FleetError, InvalidInputError} from './errors.js';
import {checkCron, checkTimezone, nextCronRun, parseIsoTime} from './zoned-time.js';
import {checkTaskSpec} from './task-input.js';
import {specOf, type TaskSpec} from './task-spec.js';

// The time-zone and cron arithmetic schedules need lives in zoned-time.ts; these are its names as schedules' users know them.
export {checkTimezone, cronTimesBetween, formatInZone, nextCronRun, parseIsoTime} from './zoned-time.js';

export const SCHEDULE_KINDS = ['cron', 'once'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/**
 * What happens to runs that fell due while ccfleet was not running (or the machine slept):
 * skip them (one `missed-skipped` entry per gap), catch up with one run now for the whole gap, or record each
 * as `missed-failed`. In every case the schedule then goes on with its next future run.
 */
export const MISSED_RUN_POLICIES = ['skip', 'catchup', 'fail'] as const;
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

/**
 * active: fires at `nextRunAt` (a pipeline step without one waits for the step before it).
 * completed: a one-time schedule whose time came (its run history says what happened then).
 */
export const SCHEDULE_STATUSES = ['active', 'paused', 'cancelled', 'completed'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/**
 * How one due time of a schedule ended.
 * - started: a task was submitted and has not ended yet;
 * - completed | failed | cancelled: that task ended so (a skipped task counts as failed);
 * - skipped-overlap: the task of an earlier run was still going, so none was started;
 * - missed-skipped: due while ccfleet was down, skipped by policy (one entry for the whole gap, `missedCount`);
 * - missed-failed: due while ccfleet was down, recorded as failed by policy (one entry per missed time);
 * - not-started: the fleet refused the task (`detail` says why, e.g. its directory is gone).
 */
export const RUN_OUTCOMES = ['started', 'completed', 'failed', 'cancelled', 'skipped-overlap', 'missed-skipped', 'missed-failed', 'not-started'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** The task a schedule submits each time it fires: a whole task spec, so that every setting reaches its runs. */
export type ScheduleTaskTemplate = TaskSpec;

/** A schedule that is one step of a pipeline: it fires `delayMs` after the previous step's task completes. */
export type PipelineLink = {
	pipelineId: string;
	/** 1-based position in the pipeline. */
	step: number;
	/** How many steps the pipeline has. */
	steps: number;
	delayMs: number;
};

export type Schedule = {
	id: string;
	kind: ScheduleKind;
	/** Five fields: minute hour day-of-month month day-of-week; for kind cron. */
	cron?: string;
	/** When a one-time schedule fires (epoch ms); unset on a pipeline step still waiting for the step before it. */
	runAt?: number;
	/** IANA zone the cron fields (and an `at` without an offset) are read in; DST is that zone's. */
	timezone: string;
	missedRunPolicy: MissedRunPolicy;
	status: ScheduleStatus;
	task: ScheduleTaskTemplate;
	/** The next time it fires; absent unless active and armed. */
	nextRunAt?: number;
	/** When it last submitted a task. */
	lastRunAt?: number;
	createdAt: number;
	updatedAt: number;
	/** Why it was cancelled (or why a pipeline stopped). */
	endReason?: string;
	pipeline?: PipelineLink;
};

export type ScheduleRun = {
	/** Assigned by the store, increasing. */
	id: number;
	scheduleId: string;
	/** The due time this run is for (for a missed-skipped gap, the first missed time). */
	scheduledFor: number;
	/** When the scheduler handled it. */
	firedAt: number;
	taskId?: string;
	outcome: RunOutcome;
	/** When its task ended. */
	endedAt?: number;
	/** Due times that were missed and are accounted for by this entry (skip, catch-up). */
	missedCount?: number;
	/** A sentence for people: why it was skipped, why the task failed. */
	detail?: string;
};

export type NewScheduleRun = Omit<ScheduleRun, 'id'>;

export type NewScheduleInput = {
	task: ScheduleTaskTemplate;
	/** A recurring schedule: five cron fields. Exactly one of `cron` and `at`. */
	cron?: string;
	/** A one-time schedule: ISO 8601; without an offset it is a wall-clock time in `timezone`. */
	at?: string;
	/** IANA zone; default the machine's. */
	timezone?: string;
	/** @default 'skip' */
	missedRunPolicy?: MissedRunPolicy;
};

export class ScheduleNotFoundError extends FleetError {
	constructor(readonly scheduleId: string) {
		super(`No schedule with id "${scheduleId}". List the schedules with \`ccfleet schedule list\` (or the list_schedules tool).`);
	}
}

export function isScheduleEnded(status: ScheduleStatus): boolean {
	return status === 'cancelled' || status === 'completed';
}

/**
 * Checks the task a schedule will submit, as the fleet would, so that a bad one fails now rather than at its first run.
 * Returns only the spec's own fields: whatever else a caller passed is not part of the schedule.
 */
export function checkTaskTemplate(task: unknown): ScheduleTaskTemplate {
	return specOf(checkTaskSpec(task));
}

function checkMissedRunPolicy(policy: unknown): MissedRunPolicy {
	if (!MISSED_RUN_POLICIES.includes(policy as MissedRunPolicy)) {
		throw new InvalidInputError(
			`missedRunPolicy ${JSON.stringify(policy)} is not one of ${MISSED_RUN_POLICIES.join(', ')}: skip drops runs missed while ccfleet was down, ` +
				'catchup runs once for them when it is back, fail records them as failed.',
		);
	}
	return policy as MissedRunPolicy;
}

/** Validates the input and makes an active schedule armed for its first run. Throws InvalidInputError naming the bad field. */
export function createSchedule(input: NewScheduleInput, context: {id: string; now: number; defaultTimezone: string}): Schedule {
	const hasCron = input.cron !== undefined && input.cron !== '';
	const hasAt = input.at !== undefined && input.at !== '';
	if (hasCron === hasAt) {
		throw new InvalidInputError(
			`Give exactly one of cron (recurring, e.g. "0 9 * * 1-5") or at (one time, ISO 8601, e.g. "2026-03-08T09:00"); got ${hasCron ? 'both' : 'neither'}.`,
		);
	}
	const task = checkTaskTemplate(input.task);
	const timezone = checkTimezone(input.timezone ?? context.defaultTimezone);
	const missedRunPolicy = checkMissedRunPolicy(input.missedRunPolicy ?? 'skip');
	const base = {id: context.id, timezone, missedRunPolicy, status: 'active' as const, task, createdAt: context.now, updatedAt: context.now};
	if (hasCron) {
		const cron = checkCron(input.cron!, timezone);
		return {...base, kind: 'cron', cron, nextRunAt: nextCronRun(cron, timezone, context.now)};
	}
	const runAt = parseIsoTime(input.at!, timezone);
	if (runAt <= context.now) {
		throw new InvalidInputError(
			`at ${JSON.stringify(input.at)} is ${new Date(runAt).toISOString()}, which is not in the future (now is ${new Date(context.now).toISOString()}); give a later time.`,
		);
	}
	return {...base, kind: 'once', runAt, nextRunAt: runAt};
}
