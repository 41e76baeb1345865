import {FleetError} from '../../core/domain/errors.js';

/** The first retry of a write that failed for a passing reason comes this soon; each failure doubles it, up to the maximum. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

export type OrderedWritesOptions<Entry, Written> = {
	/** Writes one entry to the database. */
	write(entry: Entry): Promise<Written>;
	/**
	 * What is tried again when `failed` failed for a passing reason and `newer` was asked for under its key meanwhile
	 * (it takes the failed one's place at the front). Without it, `failed` is.
	 */
	retry?(failed: Entry, newer: Entry | undefined): Entry;
	/** An entry went in; `written` is what write returned. */
	onWritten?(key: string, written: Written): void;
	/** The database refused an entry for good (a constraint, an unknown row, another host's task); it was dropped. */
	onRefused(key: string, entry: Entry, error: unknown): void;
	/** A write failed for a reason that passes (the connection, the server restarting); it is tried again first. */
	onRetrying(error: unknown): void;
};

/**
 * Writes to PostgreSQL in the order they were asked for, one at a time, each under a key: an entry asked for again
 * under a key still waiting replaces the waiting one and keeps its place. A write that fails for a passing reason is
 * tried again first, with back-off; one refused for good is reported and dropped. The schedules' mirror queues
 * writes that read the newest state when they run; the tasks' WriteQueue queues task states.
 */
export class OrderedWrites<Entry, Written = void> {
	readonly #options: OrderedWritesOptions<Entry, Written>;
	#pending = new Map<string, Entry>();
	#inFlight: {key: string; entry: Entry} | undefined;
	#running: Promise<void> | undefined;
	#isStopped = false;
	#wake: (() => void) | undefined;

	constructor(options: OrderedWritesOptions<Entry, Written>) {
		this.#options = options;
	}

	push(key: string, entry: Entry): void {
		this.#pending.set(key, entry);
		this.#running ??= this.#drain().finally(() => {
			this.#running = undefined;
		});
	}

	/** The entry waiting under `key` (not one under way). */
	waiting(key: string): Entry | undefined {
		return this.#pending.get(key);
	}

	/** Whether a write under `key` is waiting or under way. */
	has(key: string): boolean {
		return this.#pending.has(key) || this.#inFlight?.key === key;
	}

	/** How many writes are waiting or under way. */
	count(): number {
		return this.#pending.size + (this.#inFlight === undefined ? 0 : 1);
	}

	/** Resolves once nothing waits (every write asked for before it went in or was dropped). */
	async flush(): Promise<void> {
		while (this.#running) await this.#running;
	}

	/**
	 * Gives the waiting writes `timeoutMs`, then stops trying. Returns the entries never written, by key, in order, the
	 * newest of each; one under way is not waited for (it may hang on a lock) and counts as unwritten, though it may land.
	 */
	async stop(timeoutMs: number): Promise<Map<string, Entry>> {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.flush(), new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)))]);
		clearTimeout(timer);
		this.#isStopped = true;
		this.#wake?.();
		const unwritten = new Map<string, Entry>(this.#inFlight ? [[this.#inFlight.key, this.#inFlight.entry]] : []);
		for (const [key, entry] of this.#pending) unwritten.set(key, entry);
		return unwritten;
	}

	async #drain(): Promise<void> {
		let delayMs = RETRY_FIRST_MS;
		for (let next = this.#pending.entries().next(); !next.done && !this.#isStopped; next = this.#pending.entries().next()) {
			const [key, entry] = next.value;
			this.#pending.delete(key);
			this.#inFlight = {key, entry};
			try {
				const written = await this.#options.write(entry);
				tell(() => this.#options.onWritten?.(key, written));
				delayMs = RETRY_FIRST_MS;
			} catch (error) {
				if (isFinal(error)) {
					tell(() => this.#options.onRefused(key, entry, error));
					continue;
				}
				const newer = this.#pending.get(key);
				this.#pending.delete(key);
				this.#pending = new Map([[key, this.#options.retry ? this.#options.retry(entry, newer) : entry], ...this.#pending]);
				tell(() => this.#options.onRetrying(error));
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

/**
 * Errors no retry can mend: our own refusals (FleetError, which TaskHeldElsewhereError, TaskNotFoundError and
 * ScheduleNotFoundError are), and PostgreSQL refusing the row itself (data, constraint, schema).
 */
function isFinal(error: unknown): boolean {
	if (error instanceof FleetError) return true;
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
