import {FleetError} from '../../core/domain/errors.js';
import {ScheduleNotFoundError} from '../../core/domain/schedule.js';

/** The first retry of a write that failed for a passing reason comes this soon; each failure doubles it, up to the maximum. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

export type OrderedWritesHooks = {
	/** The database refused a write for good (a constraint, an unknown row); it was dropped. */
	onRefused(key: string, error: unknown): void;
	/** A write failed for a reason that passes; it is tried again first. */
	onRetrying(error: unknown): void;
};

/**
 * Writes to PostgreSQL in the order they were asked for, one at a time, each under a key: a write asked for again
 * under a key still waiting keeps its place (so each write must read the newest state when it runs). A write that
 * fails for a passing reason is tried again first, with back-off; one refused for good is reported and dropped.
 * The schedules' mirror uses it; the tasks' has WriteQueue, which also merges an insert with later updates.
 */
export class OrderedWrites {
	readonly #hooks: OrderedWritesHooks;
	#pending = new Map<string, () => Promise<void>>();
	#inFlight: string | undefined;
	#running: Promise<void> | undefined;
	#isStopped = false;
	#wake: (() => void) | undefined;

	constructor(hooks: OrderedWritesHooks) {
		this.#hooks = hooks;
	}

	push(key: string, write: () => Promise<void>): void {
		this.#pending.set(key, write);
		this.#running ??= this.#drain().finally(() => {
			this.#running = undefined;
		});
	}

	has(key: string): boolean {
		return this.#pending.has(key) || this.#inFlight === key;
	}

	async flush(): Promise<void> {
		while (this.#running) await this.#running;
	}

	/** Gives the waiting writes `timeoutMs`, then stops trying; returns the keys never written (one under way included). */
	async stop(timeoutMs: number): Promise<string[]> {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.flush(), new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)))]);
		clearTimeout(timer);
		this.#isStopped = true;
		this.#wake?.();
		return [...new Set([...(this.#inFlight === undefined ? [] : [this.#inFlight]), ...this.#pending.keys()])];
	}

	async #drain(): Promise<void> {
		let delayMs = RETRY_FIRST_MS;
		for (let next = this.#pending.entries().next(); !next.done && !this.#isStopped; next = this.#pending.entries().next()) {
			const [key, write] = next.value;
			this.#pending.delete(key);
			this.#inFlight = key;
			try {
				await write();
				delayMs = RETRY_FIRST_MS;
			} catch (error) {
				if (isFinal(error)) {
					tell(() => this.#hooks.onRefused(key, error));
					continue;
				}
				// Tried again first (a newer write under the same key reads the same newest state).
				this.#pending.delete(key);
				this.#pending = new Map([[key, write], ...this.#pending]);
				tell(() => this.#hooks.onRetrying(error));
				await new Promise<void>(resolve => {
					const timer = setTimeout(resolve, delayMs);
					this.#wake = () => {
						clearTimeout(timer);
						resolve();
					};
				});
				this.#wake = undefined;
				delayMs = Math.min(RETRY_MAX_MS, delayMs * 2);
			} finally {
				this.#inFlight = undefined;
			}
		}
	}
}

/** Errors no retry can mend: our own refusals, and PostgreSQL refusing the row itself (data, constraint, schema). */
function isFinal(error: unknown): boolean {
	if (error instanceof FleetError || error instanceof ScheduleNotFoundError) return true;
	const code = (error as {code?: unknown})?.code;
	return typeof code === 'string' && /^(?:22|23|42)/.test(code);
}

/** Calls a hook; a hook that throws must not stop the writes behind it (nor leave a rejected promise nobody handles). */
function tell(hook: () => void): void {
	try {
		hook();
	} catch {
		// The hook's owner reports its own failures; the queue goes on.
	}
}
