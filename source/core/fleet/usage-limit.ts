import type {Clock} from '../ports/clock.js';
import type {UsageLimitReport} from '../ports/worker-driver.js';
import type {AdmissionPolicy} from './admission.js';

/** After a reset, this many workers may start at once; the number doubles every RAMP_STEP_MS. */
const RAMP_FIRST = 2;
const RAMP_STEP_MS = 10_000;
/** The ramp ends this long after the reset: by then the fleet starts as the other policies allow. */
const RAMP_MS = 60_000;
/** While the API warns that the limit is near, at most one start per this long. */
const WARNING_GAP_MS = 5_000;
/** A warning counts this long after the last one. */
const WARNING_WINDOW_MS = 60_000;
/** Without a reset time, the first pause; it doubles with each rejection in a row. */
const UNKNOWN_RESET_FIRST_MS = 60_000;
const UNKNOWN_RESET_MAX_MS = 60 * 60_000;

/** How the account's usage limit stands, as fleet_status and the dashboard show it. */
export type UsageLimitView = {
	/** limited: nothing starts until `resetsAt`; ramping: starts come back gradually; warning: the limit is near. */
	state: 'limited' | 'ramping' | 'warning';
	/** five_hour, seven_day, … as claude names it. */
	kind?: string;
	/** When the limit resets (epoch ms). */
	resetsAt?: number;
};

const KIND_NAMES: Record<string, string> = {five_hour: '5-hour', seven_day: 'weekly', seven_day_opus: 'weekly Opus'};

/** "the 5-hour usage limit", "the usage limit". */
export function limitName(kind: string | undefined): string {
	return kind ? `the ${KIND_NAMES[kind] ?? kind.replace(/_/g, ' ')} usage limit` : 'the usage limit';
}

/**
 * The account's usage limit, fleet-wide. When any worker meets it, no new worker starts until its reset; after the
 * reset starts come back gradually (2, then 4, 8… every 10 s), because a burst of starts right after a reset is what
 * gets limited again. While the API warns that the limit is near, starts are spaced out. Without a reset time, the
 * pause doubles with each rejection in a row.
 */
export class UsageLimit {
	readonly #clock: Clock;
	#limitedUntil: number | undefined;
	#kind: string | undefined;
	#startsSinceReset = 0;
	#unknownResets = 0;
	#warnedAt = Number.NEGATIVE_INFINITY;
	#lastStartAt = Number.NEGATIVE_INFINITY;

	constructor(clock: Clock) {
		this.#clock = clock;
	}

	/** A report from a worker; returns when the limit resets if this report says it is reached. */
	note(report: UsageLimitReport): number | undefined {
		const now = this.#clock.now();
		if (report.kind) this.#kind = report.kind;
		if (report.status === 'allowed_warning') this.#warnedAt = now;
		if (report.status !== 'rejected') {
			this.#unknownResets = 0;
			return undefined;
		}
		const until =
			report.resetsAt !== undefined && report.resetsAt > now
				? report.resetsAt
				: now + Math.min(UNKNOWN_RESET_MAX_MS, UNKNOWN_RESET_FIRST_MS * 2 ** this.#unknownResets++);
		if (this.#limitedUntil === undefined || until > this.#limitedUntil || this.#limitedUntil + RAMP_MS <= now) {
			this.#limitedUntil = until;
			this.#startsSinceReset = 0;
		}
		return this.#limitedUntil;
	}

	/**
	 * A limit another host of a shared fleet met (one account, one limit): new starts here wait for its reset too, and
	 * come back by the same ramp; no worker here is stopped, since none of them was refused. Returns whether it holds
	 * this host later than it already knew (an echo of its own limit, or an old one, changes nothing).
	 */
	hear(limit: {until: number; kind?: string}): boolean {
		if (limit.until <= this.#clock.now() || (this.#limitedUntil !== undefined && limit.until <= this.#limitedUntil)) return false;
		this.#limitedUntil = limit.until;
		if (limit.kind) this.#kind = limit.kind;
		this.#startsSinceReset = 0;
		return true;
	}

	/** A worker started (it counts toward the ramp). */
	noteStarted(): void {
		const now = this.#clock.now();
		this.#lastStartAt = now;
		if (this.#limitedUntil !== undefined && now >= this.#limitedUntil) this.#startsSinceReset++;
	}

	/** Until when the limit holds every start, if it does now. */
	limitedUntil(): number | undefined {
		return this.#limitedUntil !== undefined && this.#limitedUntil > this.#clock.now() ? this.#limitedUntil : undefined;
	}

	policy(): AdmissionPolicy {
		return {
			name: 'usage limit',
			check: ({now}) => {
				const until = this.#limitedUntil;
				if (until !== undefined && now < until) {
					return {admit: false, reason: `${limitName(this.#kind)} is reached; nothing starts until it resets at ${new Date(until).toISOString()}`, until};
				}
				if (until !== undefined && now < until + RAMP_MS) {
					const step = Math.floor((now - until) / RAMP_STEP_MS);
					if (this.#startsSinceReset >= RAMP_FIRST * 2 ** step) {
						return {
							admit: false,
							reason: `${limitName(this.#kind)} just reset; workers come back gradually (${this.#startsSinceReset} so far)`,
							until: until + (step + 1) * RAMP_STEP_MS,
						};
					}
				}
				if (now - this.#warnedAt < WARNING_WINDOW_MS && now - this.#lastStartAt < WARNING_GAP_MS) {
					return {admit: false, reason: `${limitName(this.#kind)} is near; starts are spaced out`, until: this.#lastStartAt + WARNING_GAP_MS};
				}
				return {admit: true};
			},
		};
	}

	view(): UsageLimitView | undefined {
		const now = this.#clock.now();
		const until = this.#limitedUntil;
		const kind = this.#kind ? {kind: this.#kind} : {};
		if (until !== undefined && now < until) return {state: 'limited', ...kind, resetsAt: until};
		if (until !== undefined && now < until + RAMP_MS) return {state: 'ramping', ...kind, resetsAt: until};
		if (now - this.#warnedAt < WARNING_WINDOW_MS) return {state: 'warning', ...kind};
		return undefined;
	}
}
