import {startOfDay} from '../domain/fleet-settings.js';
import type {Clock} from '../ports/clock.js';
import type {AdmissionPolicy} from './admission.js';

/** Spending is read from the store at most this often: a budget needs no millisecond precision, the pump runs often. */
const SPENT_CACHE_MS = 1000;

export type DailyBudget = {
	/** The budget in force, or none. */
	readonly dailyBudgetUsd: number | undefined;
	/** USD spent by tasks that started at or after `since` (stored, so it holds across restarts). */
	spentSince(since: number): number;
};

/**
 * Holds new work once the day's spending reached the daily budget, until local midnight (the pump wakes then by
 * itself) or until the budget is raised. Workers already running go on.
 */
export function dailyBudgetPolicy(clock: Clock, budget: DailyBudget): {policy: AdmissionPolicy; spentToday(): number; invalidate(): void} {
	let cached: {at: number; since: number; spent: number} | undefined;
	const spentToday = () => {
		const now = clock.now();
		const since = startOfDay(now);
		if (!cached || cached.since !== since || now - cached.at >= SPENT_CACHE_MS) cached = {at: now, since, spent: budget.spentSince(since)};
		return cached.spent;
	};
	return {
		spentToday,
		/** A task's cost changed: the next check reads the store again. */
		invalidate() {
			cached = undefined;
		},
		policy: {
			name: 'daily budget',
			check: ({now}) => {
				const limit = budget.dailyBudgetUsd;
				if (limit === undefined) return {admit: true};
				const spent = spentToday();
				if (spent < limit) return {admit: true};
				return {
					admit: false,
					reason: `the daily budget of $${limit.toFixed(2)} is spent ($${spent.toFixed(2)} since midnight); raise it (ccfleet configure --daily-budget, or configure_fleet) or it resets at midnight`,
					// The next midnight, also on a day that DST makes 23 or 25 hours long.
					until: startOfDay(startOfDay(now) + 36 * 3_600_000),
				};
			},
		},
	};
}
