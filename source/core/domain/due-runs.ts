import {cronTimesBetween, formatInZone, nextCronRun, type NewScheduleRun, type Schedule} from './schedule.js';

/** Missed due times counted for one gap at most; past it the count reads "more than". */
const MAX_MISSED_COUNTED = 1000;

export type DueOptions = {
	/** A due time handled less than this late is simply late and runs as usual; later, it was missed. */
	missedGraceMs: number;
	/** Most `missed-failed` entries written for one gap; the last one says how many more there were. */
	maxMissedRunsRecorded: number;
};

/** What one schedule whose time has come must do now. */
export type DuePlan = {
	/** The schedule after this due time: its next run, or completed. */
	next: Schedule;
	/** Runs to record for missed times, in order, before anything is fired. */
	missedRuns: NewScheduleRun[];
	missedCount: number;
	/** The due time to submit a task for; none when every due time was missed and the policy runs none. */
	fireFor?: number;
	/** Set when the task fired catches up for a gap. */
	catchUp?: {missedCount: number; detail: string};
};

/**
 * Splits a due schedule's times into missed ones (later than the grace) and the one on time, and applies its
 * missed-run policy: skip records the gap once, fail records each missed time, catchup fires one run for the whole
 * gap. Pure: the scheduler writes and fires what the plan says.
 */
export function planDue(schedule: Schedule, now: number, options: DueOptions): DuePlan {
	const {missed, missedMore, onTime} = dueTimes(schedule, now, options.missedGraceMs);
	const next: Schedule = {...schedule, updatedAt: now};
	if (schedule.kind === 'cron') {
		next.nextRunAt = nextCronRun(schedule.cron!, schedule.timezone, now);
	} else {
		next.status = 'completed';
		delete next.nextRunAt;
	}
	const missedCount = missed.length;
	const plan: DuePlan = {next, missedRuns: [], missedCount, ...(onTime === undefined ? {} : {fireFor: onTime})};
	if (missedCount === 0) return plan;
	const missedText = describeMissed(missed, missedMore, schedule.timezone);
	const base = {scheduleId: schedule.id, firedAt: now};
	switch (schedule.missedRunPolicy) {
		case 'skip':
			plan.missedRuns.push({...base, scheduledFor: missed[0]!, outcome: 'missed-skipped', missedCount, detail: `Skipped ${missedText} (missed-run policy skip).`});
			break;
		case 'fail': {
			const recorded = missed.slice(0, options.maxMissedRunsRecorded);
			const unlisted = missed.length - recorded.length;
			for (const [index, time] of recorded.entries()) {
				const isLast = index === recorded.length - 1;
				const more = isLast && (missedMore || unlisted > 0) ? ` ${missedMore ? 'More than ' : ''}${unlisted} later missed times are not listed.` : '';
				plan.missedRuns.push({...base, scheduledFor: time, outcome: 'missed-failed', detail: `ccfleet was not running at this time (missed-run policy fail).${more}`});
			}
			break;
		}
		case 'catchup':
			// One run for the whole gap, not one per missed time: a week of an hourly job must not become 168 tasks at once.
			plan.fireFor ??= missed.at(-1)!;
			plan.catchUp = {missedCount, detail: `Catches up ${missedText} (missed-run policy catchup: one run for the whole gap).`};
			break;
	}
	return plan;
}

function dueTimes(schedule: Schedule, now: number, graceMs: number): {missed: number[]; missedMore: boolean; onTime?: number} {
	const first = schedule.nextRunAt!;
	const {times, more} = schedule.kind === 'cron' ? cronTimesBetween(schedule.cron!, schedule.timezone, first, now, MAX_MISSED_COUNTED) : {times: [first], more: false};
	const last = times.at(-1)!;
	if (!more && now - last <= graceMs) return {missed: times.slice(0, -1), missedMore: false, onTime: last};
	return {missed: times, missedMore: more};
}

function describeMissed(missed: number[], more: boolean, timezone: string): string {
	const count = more ? `more than ${missed.length} runs` : missed.length === 1 ? '1 run' : `${missed.length} runs`;
	const span =
		missed.length === 1 ? `due ${formatInZone(missed[0]!, timezone)}` : `due from ${formatInZone(missed[0]!, timezone)} to ${formatInZone(missed.at(-1)!, timezone)}`;
	return `${count} ${span}`;
}
