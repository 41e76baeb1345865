import type {FleetStatus} from './fleet-source.js';
import {budget, clockTime, limitName, money} from './format.js';

/** Text cut after whole words to at most `max` characters, ending in `…` when cut. */
export function clipWords(text: string, max: number): string {
	if ([...text].length <= max) return text;
	const words = text.split(' ');
	let clipped = '';
	for (const word of words) {
		const next = clipped === '' ? word : `${clipped} ${word}`;
		if ([...next].length + 1 > max) break;
		clipped = next;
	}
	return clipped === '' ? `${[...text].slice(0, max - 1).join('')}…` : `${clipped.replace(/[;,:.]$/, '')}…`;
}

/** Which rule holds the queue, when the dashboard recognises it. */
export type HoldKind = 'memory' | 'cpu' | 'ceiling' | 'stagger' | 'budget' | 'backoff' | 'usage';

/** The core's policy names (admission.heldByPolicy). */
const POLICY_KINDS: Record<string, HoldKind> = {
	ceiling: 'ceiling',
	stagger: 'stagger',
	backoff: 'backoff',
	'usage limit': 'usage',
	cpu: 'cpu',
	memory: 'memory',
	'daily budget': 'budget',
};

/**
 * A core older than heldByPolicy carries the hold only as its sentence, so the limit is recognised by the setting it
 * names (the reasons of ResourceGauge, AdmissionController and the daily budget).
 */
function kindOfSentence(reason: string): HoldKind | undefined {
	if (/MEMORY_RESERVE|memory/i.test(reason)) return 'memory';
	if (/CPU/.test(reason)) return 'cpu';
	if (/MAX_WORKERS/.test(reason)) return 'ceiling';
	if (/stagger/i.test(reason)) return 'stagger';
	if (/daily budget/i.test(reason)) return 'budget';
	return undefined;
}

/** What holds the queue: by the policy the core names; by the sentence only when the core names none. */
export function holdKind(fleet: FleetStatus): HoldKind | undefined {
	const {heldBy, heldByPolicy} = fleet.admission;
	if (heldBy === undefined) return undefined;
	if (heldByPolicy !== undefined) return POLICY_KINDS[heldByPolicy];
	return kindOfSentence(heldBy);
}

/** What holds the queue in a word or three, for places too narrow for the sentence; one not recognised is cut after whole words. */
export function shortHeldReason(fleet: FleetStatus, max: number): string | undefined {
	const reason = fleet.admission.heldBy;
	if (reason === undefined) return undefined;
	switch (holdKind(fleet)) {
		case 'memory':
			return 'memory';
		case 'cpu':
			return `CPU ≥${fleet.admission.cpuThresholdPercent}%`;
		case 'ceiling':
			return fleet.admission.maxWorkers === undefined ? 'max workers' : `max ${fleet.admission.maxWorkers} workers`;
		case 'stagger':
			return 'next start';
		case 'budget':
			return 'daily budget spent';
		case 'backoff':
			return 'rate-limit back-off';
		case 'usage':
			return usageHold(fleet);
		case undefined:
			return clipWords(reason, max);
	}
}

/** The usage limit's hold in a few words: reached, ramping up after its reset, or near. */
function usageHold(fleet: FleetStatus): string {
	const limit = fleet.usageLimit;
	if (limit?.state === 'ramping') return 'ramping up';
	if (limit?.state === 'warning') return `near ${limitName(limit.kind)}`;
	return limitName(limit?.kind);
}

/**
 * The usage limit as the header says it: reached (with its reset, in local time), just reset, or near. Undefined
 * when the account is clear of it.
 */
export function usageLimitText(fleet: FleetStatus, now: number): string | undefined {
	const limit = fleet.usageLimit;
	if (limit === undefined) return undefined;
	const name = limitName(limit.kind);
	switch (limit.state) {
		case 'limited':
			return limit.resetsAt === undefined ? `${name} reached` : `${name} · resets ${clockTime(limit.resetsAt, now)}`;
		case 'ramping':
			return 'limit reset · ramping up';
		case 'warning':
			return `near the ${name}`;
	}
}

/** `$3.20 of $10 today`, when a daily budget is set. */
export function budgetText(fleet: FleetStatus): string | undefined {
	const {dailyBudgetUsd, spentTodayUsd} = fleet.admission;
	return dailyBudgetUsd === undefined ? undefined : `${money(spentTodayUsd)} of ${budget(dailyBudgetUsd)} today`;
}

/** The queue is held by something other than the pause between two starts (a quarter of a second). */
export function isHeld(fleet: FleetStatus): boolean {
	return fleet.admission.heldBy !== undefined && holdKind(fleet) !== 'stagger';
}

/**
 * The hold worth showing beside the header's own news. Not the pause between two starts: it lasts a quarter of a
 * second, so it would only flicker through a burst. Not one the header already shows in its own words: the
 * rate-limit back-off (with a countdown), the usage limit (with its reset) or the spent budget.
 */
export function heldReason(fleet: FleetStatus, now: number): string | undefined {
	const {heldBy, dailyBudgetUsd} = fleet.admission;
	if (heldBy === undefined || !isHeld(fleet)) return undefined;
	const kind = holdKind(fleet);
	const isBackoffShown = fleet.backoff !== undefined && Date.parse(fleet.backoff.until) > now;
	if (isBackoffShown && (kind === 'backoff' || heldBy === fleet.backoff!.reason)) return undefined;
	if (kind === 'usage' && fleet.usageLimit !== undefined) return undefined;
	if (kind === 'budget' && dailyBudgetUsd !== undefined) return undefined;
	return heldBy;
}

/**
 * How many workers run and how many more could start. Without a ceiling `allowed` follows free memory from second
 * to second, so "3/43" would read as a limit that wanders; "room for 40" answers what is asked: would another start.
 * With CCFLEET_MAX_WORKERS the ceiling is fixed and "3/4" reads right, the room added when the machine allows fewer.
 */
export function workersText(fleet: FleetStatus): string {
	const {running, allowed} = fleet.workers;
	const {maxWorkers, roomFor} = fleet.admission;
	const room = Math.max(0, allowed - running);
	if (maxWorkers !== undefined) return `workers ${running}/${maxWorkers}${allowed < maxWorkers ? ` · room for ${room}` : ''}`;
	return roomFor === undefined ? `workers ${running}` : `workers ${running} · room for ${room}`;
}
