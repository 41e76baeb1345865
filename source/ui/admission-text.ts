import type {FleetStatus} from './fleet-source.js';

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

/** Which limit holds the queue, when the dashboard recognises it. */
export type HoldKind = 'memory' | 'cpu' | 'ceiling' | 'stagger' | 'budget';

/**
 * The protocol carries the hold only as the core's sentence, so the limit is recognised by the setting it names
 * (the reasons of ResourceGauge, AdmissionController and the daily budget).
 */
export function holdKind(reason: string): HoldKind | undefined {
	if (/MEMORY_RESERVE|memory/i.test(reason)) return 'memory';
	if (/CPU/.test(reason)) return 'cpu';
	if (/MAX_WORKERS/.test(reason)) return 'ceiling';
	if (/stagger/i.test(reason)) return 'stagger';
	if (/daily budget/i.test(reason)) return 'budget';
	return undefined;
}

/** What holds the queue in a word or three, for places too narrow for the sentence; one not recognised is cut after whole words. */
export function shortHeldReason(fleet: FleetStatus, max: number): string | undefined {
	const reason = fleet.admission.heldBy;
	if (reason === undefined) return undefined;
	switch (holdKind(reason)) {
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
		case undefined:
			return clipWords(reason, max);
	}
}

/**
 * The hold worth showing. Not one the rate-limit back-off already shows (with a countdown, which tells more), and
 * not the pause between two starts: it lasts a quarter of a second, so it would only flicker through a burst.
 */
export function heldReason(fleet: FleetStatus, now: number): string | undefined {
	const {heldBy} = fleet.admission;
	if (heldBy === undefined || holdKind(heldBy) === 'stagger') return undefined;
	if (fleet.backoff && Date.parse(fleet.backoff.until) > now && heldBy === fleet.backoff.reason) return undefined;
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
