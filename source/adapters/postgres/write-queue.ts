import {FleetError, TaskNotFoundError} from '../../core/domain/errors.js';
import type {Task} from '../../core/domain/task.js';
import {TaskHeldElsewhereError, type PostgresTaskStore} from './postgres-task-store.js';

/** The first retry of a write that failed for a passing reason comes this soon; each failure doubles it, up to the maximum. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

export type WriteQueueState = {count: number; since: number; reason: string};

type Entry = {op: 'insert' | 'update'; task: Task};

export type WriteQueueHooks = {
	/** The database refused a write for good (another host holds the task, it is gone, the row is invalid); it was dropped. */
	onRefused(task: Task, error: unknown): void;
	/** A write failed for a reason that passes (the connection, the server restarting); it is tried again. */
	onRetrying(error: unknown): void;
	/** A write went in and got this change number. */
	onWritten?(id: string, changeSeq: number): void;
};

/**
 * Task writes on their way to PostgreSQL, in the order they were made, one at a time: a later state of a task replaces
 * a waiting earlier one (a write replaces the whole row, so the newest wins and nothing is lost), a write that fails for
 * a passing reason is tried again first, with back-off, and one refused for good is reported and dropped.
 */
export class WriteQueue {
	readonly #rows: PostgresTaskStore;
	readonly #hooks: WriteQueueHooks;
	#pending = new Map<string, Entry>();
	#inFlight: Entry | undefined;
	#running: Promise<void> | undefined;
	#failure: {since: number; reason: string} | undefined;
	#isStopped = false;
	#wake: (() => void) | undefined;

	constructor(rows: PostgresTaskStore, hooks: WriteQueueHooks) {
		this.#rows = rows;
		this.#hooks = hooks;
	}

	insert(task: Task): void {
		this.#pending.set(task.id, {op: 'insert', task});
		this.#run();
	}

	update(task: Task): void {
		// An insert still waiting becomes an insert of the newest state.
		this.#pending.set(task.id, {op: this.#pending.get(task.id)?.op ?? 'update', task});
		this.#run();
	}

	/** Whether a write of this task is waiting or under way (this host's state is newer than the database's). */
	has(id: string): boolean {
		return this.#pending.has(id) || this.#inFlight?.task.id === id;
	}

	/** Resolves once nothing waits (every write made before it went in or was dropped). */
	async flush(): Promise<void> {
		while (this.#running) await this.#running;
	}

	/**
	 * Gives the writes still waiting `timeoutMs` to go in, then stops trying (the host is stopping). Returns the tasks
	 * that were never written, newest state each, for the caller to keep elsewhere (the journal) or report.
	 */
	async stop(timeoutMs: number): Promise<Task[]> {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.flush(), new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)))]);
		clearTimeout(timer);
		this.#isStopped = true;
		this.#wake?.();
		// A write still under way is not waited for (it may hang on a lock); it is named as unwritten, though it may land.
		const unwritten = new Map<string, Task>(this.#inFlight ? [[this.#inFlight.task.id, this.#inFlight.task]] : []);
		for (const [id, entry] of this.#pending) unwritten.set(id, entry.task);
		return [...unwritten.values()];
	}

	state(): WriteQueueState | undefined {
		const count = this.#pending.size + (this.#inFlight === undefined ? 0 : 1);
		return this.#failure && count > 0 ? {count, ...this.#failure} : undefined;
	}

	#run(): void {
		this.#running ??= this.#drain().finally(() => {
			this.#running = undefined;
		});
	}

	async #drain(): Promise<void> {
		let delayMs = RETRY_FIRST_MS;
		for (let next = this.#pending.entries().next(); !next.done && !this.#isStopped; next = this.#pending.entries().next()) {
			const [id, entry] = next.value;
			this.#pending.delete(id);
			this.#inFlight = entry;
			try {
				const changeSeq = await this.#write(entry);
				tell(() => this.#hooks.onWritten?.(id, changeSeq));
				this.#failure = undefined;
				delayMs = RETRY_FIRST_MS;
			} catch (error) {
				if (isFinal(error)) {
					tell(() => this.#hooks.onRefused(entry.task, error));
					continue;
				}
				// Tried again first, with the newest state if a later one came meanwhile.
				const newer = this.#pending.get(id);
				this.#pending.delete(id);
				this.#pending = new Map([[id, newer ? {op: entry.op === 'insert' ? 'insert' : newer.op, task: newer.task} : entry], ...this.#pending]);
				this.#failure = {since: this.#failure?.since ?? Date.now(), reason: error instanceof Error ? error.message : String(error)};
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

	async #write({op, task}: Entry): Promise<number> {
		if (op === 'insert') return this.#rows.insert(task);
		try {
			return await this.#rows.update(task);
		} catch (error) {
			// Nobody holds it (a queued task not claimed yet): any host may change it while it waits.
			if (error instanceof TaskHeldElsewhereError && error.holder === undefined) return this.#rows.updateFree(task);
			throw error;
		}
	}
}

/** Errors no retry can mend: the task is another host's or gone, or PostgreSQL refuses the row itself (data, constraint, schema). */
function isFinal(error: unknown): boolean {
	if (error instanceof TaskHeldElsewhereError || error instanceof TaskNotFoundError || error instanceof FleetError) return true;
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
