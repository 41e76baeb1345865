// The synchronous TaskStore port on the shared PostgreSQL: the core reads and writes a mirror in memory at SQLite's
// speed, and the mirror is kept in step with the database both ways. See docs/research/multi-host-store.md §4.1.
import {isDeepStrictEqual} from 'node:util';
import type pg from 'pg';
import {FleetError, TaskNotFoundError} from '../../core/domain/errors.js';
import {TASK_STATUSES, type Task, type TaskStatus} from '../../core/domain/task.js';
import type {TaskFilter, TaskStore} from '../../core/ports/task-store.js';
import type {ChangeFeed} from './change-feed.js';
import {TaskChangeListener, type TaskChange} from './change-listener.js';
import {PostgresTaskStore, TaskHeldElsewhereError, type HeldTask} from './postgres-task-store.js';
import {WriteQueue, type WriteQueueState} from './write-queue.js';

/** Notifications are read in batches: one query for all the tasks that changed within this long. */
const FETCH_BATCH_MS = 5;
/** How long a stopping host waits for its queued writes to reach the database. */
const CLOSE_WRITES_MS = 5_000;

export type MirrorOptions = {
	/** This host's id: writes are fenced by it (only the holder's write goes in). Without it, writes are not fenced. */
	hostId?: string;
	/** Another host changed a task (or took one over): the core announces it as its own changes are announced. */
	onRemoteChange?(task: Task, previous: TaskStatus | undefined, hostId: string | undefined): void;
	/** This host's write was refused because another host holds the task now: it must stop its worker. */
	onLost?(taskId: string, holder: string | undefined): void;
	/** A write failed for a passing reason, or the listener dropped; both are retried. For the log. */
	onError?(message: string, cause: unknown): void;
};

/**
 * TaskStore on PostgreSQL, synchronous as the port is: every task is mirrored in memory (loaded at open, kept current
 * by the tasks channel, read again whole after a dropped listener), reads come from the mirror, and writes
 * apply to the mirror at once and reach the database behind it, in order, one at a time, the newest state of a task
 * replacing an older one still waiting. `flush()` resolves once everything written before it is committed.
 *
 * This first version mirrors every task; trimming finished tasks out of memory is the next step (see the design note).
 */
export class MirroredTaskStore implements TaskStore {
	readonly #tasks = new Map<string, Task>();
	readonly #holders = new Map<string, string | undefined>();
	/** The newest change number this mirror has of each task (its own write's, or one it read): older rows are stale. */
	readonly #seqOf = new Map<string, number>();
	readonly #rows: PostgresTaskStore;
	readonly #queue: WriteQueue;
	readonly #options: MirrorOptions;
	readonly #listener: TaskChangeListener;
	readonly #toFetch = new Set<string>();
	#fetchTimer: NodeJS.Timeout | undefined;
	#isClosed = false;

	private constructor(pool: pg.Pool, changes: string | ChangeFeed, options: MirrorOptions) {
		this.#options = options;
		this.#rows = new PostgresTaskStore(pool, options.hostId === undefined ? {} : {hostId: options.hostId});
		this.#queue = new WriteQueue(this.#rows, {
			onRefused: (task, error) => {
				if (error instanceof TaskHeldElsewhereError) options.onLost?.(task.id, error.holder);
				else options.onError?.(`Task ${task.id} could not be written and was dropped: ${messageOf(error)}`, error);
			},
			onRetrying: (error: unknown) => options.onError?.(`Writing to the shared database failed; retrying: ${messageOf(error)}`, error),
			onWritten: (id, changeSeq) => this.#seqOf.set(id, Math.max(changeSeq, this.#seqOf.get(id) ?? 0)),
		});
		this.#listener = new TaskChangeListener(changes, {
			onChange: change => this.#heard(change),
			onReconnect: () => void this.#reload(),
			onError: error => options.onError?.(`The task change listener: ${messageOf(error)}`, error),
			applicationName: `ccfleet mirror ${options.hostId ?? ''}`.trim(),
		});
	}

	/**
	 * Starts listening and loads every task. `changes`: the host's ChangeFeed (one listening session for all its
	 * mirrors), or the pool's URL for a session of this store's own.
	 */
	static async open(pool: pg.Pool, changes: string | ChangeFeed, options: MirrorOptions = {}): Promise<MirroredTaskStore> {
		const store = new MirroredTaskStore(pool, changes, options);
		// Listening first, so that nothing committed between the load and the LISTEN is missed; what arrives twice is harmless.
		await store.#listener.start();
		// Oldest first, as list() promises; later arrivals go to the end, in the order they are heard.
		try {
			await store.#load();
		} catch (error) {
			await store.#listener.stop();
			throw error;
		}
		return store;
	}

	insert(task: Task): void {
		this.#assertOpen();
		if (this.#tasks.has(task.id)) throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`);
		this.#tasks.set(task.id, structuredClone(task));
		this.#queue.insert(structuredClone(task));
	}

	update(task: Task): void {
		this.#assertOpen();
		if (!this.#tasks.has(task.id)) throw new TaskNotFoundError(task.id);
		this.#tasks.set(task.id, structuredClone(task));
		this.#queue.update(structuredClone(task));
	}

	get(id: string): Task | undefined {
		this.#assertOpen();
		const task = this.#tasks.get(id);
		return task && structuredClone(task);
	}

	list(filter: TaskFilter = {}): Task[] {
		this.#assertOpen();
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		const matching = [...this.#tasks.values()].filter(task => statuses === undefined || statuses.includes(task.status));
		return (limit === undefined ? matching : matching.slice(Math.max(0, matching.length - limit))).map(task => structuredClone(task));
	}

	countByStatus(): Record<TaskStatus, number> {
		this.#assertOpen();
		const counts = Object.fromEntries(TASK_STATUSES.map(status => [status, 0])) as Record<TaskStatus, number>;
		for (const task of this.#tasks.values()) counts[task.status]++;
		return counts;
	}

	totalCostUsd(since?: number): number {
		this.#assertOpen();
		let total = 0;
		for (const task of this.#tasks.values()) if (since === undefined || (task.startedAt ?? task.createdAt) >= since) total += task.costUsd;
		return total;
	}

	/**
	 * Takes tasks this host just claimed into the mirror, as the claim returned them, before the core writes them: a
	 * claim can come back before the notification of the task's insert (found by the three-hosts test), and update()
	 * of a task the mirror has not heard of would throw TaskNotFoundError. A newer state of this host's own wins.
	 */
	adopt(tasks: readonly Task[]): void {
		this.#assertOpen();
		for (const task of tasks) {
			if (this.#queue.has(task.id)) continue;
			this.#tasks.set(task.id, structuredClone(task));
			if (this.#options.hostId !== undefined) this.#holders.set(task.id, this.#options.hostId);
		}
	}

	/**
	 * Changes a queued task no host holds, at once rather than behind (the caller answers with the outcome), and takes the
	 * change in as another host's would be (announced). Resolves with the host that claimed the task meanwhile, whose
	 * business the change then is, else undefined.
	 */
	async changeFree(task: Task): Promise<{heldBy: string} | undefined> {
		this.#assertOpen();
		// This host's own insert of the task may still be on its way.
		await this.flush();
		try {
			const changeSeq = await this.#rows.updateFree(task);
			this.#apply({task: structuredClone(task), hostId: undefined, placement: {}, changeSeq});
			return undefined;
		} catch (error) {
			if (error instanceof TaskHeldElsewhereError && error.holder !== undefined) return {heldBy: error.holder};
			throw error;
		}
	}

	/** Which host holds a task, as this mirror last heard (undefined: nobody, or this host wrote it last). */
	holder(id: string): string | undefined {
		return this.#holders.get(id);
	}

	/** Resolves once every write made before the call is committed (or given up). */
	flush(): Promise<void> {
		return this.#queue.flush();
	}

	/** Writes the database has not taken yet, and why, while there are any. */
	unwritten(): WriteQueueState | undefined {
		return this.#queue.state();
	}

	/** Refuses further work and stops listening; writes still queued go on until `closed()` gives up on them. */
	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		clearTimeout(this.#fetchTimer);
		void this.#listener.stop();
	}

	/**
	 * After close(): waits up to `timeoutMs` for the writes still queued, then stops trying, and returns the tasks whose
	 * newest state never reached the database (none when all went in), for the host to keep in its journal or report.
	 */
	async closed(timeoutMs = CLOSE_WRITES_MS): Promise<Task[]> {
		const unwritten = await this.#queue.stop(timeoutMs);
		await this.#listener.stop();
		return unwritten;
	}

	#heard(change: TaskChange): void {
		if (this.#isClosed) return;
		this.#toFetch.add(change.id);
		this.#fetchTimer ??= setTimeout(() => {
			this.#fetchTimer = undefined;
			const ids = [...this.#toFetch];
			this.#toFetch.clear();
			this.#rows.heldMany(ids).then(
				held => held.forEach(one => this.#apply(one)),
				(error: unknown) => {
					this.#options.onError?.(`Could not read tasks other hosts changed; reading them again: ${messageOf(error)}`, error);
					void this.#reload();
				},
			);
		}, FETCH_BATCH_MS);
	}

	/**
	 * Reads every task again: at open, after the listener reconnected (what was announced meanwhile is lost) and after
	 * a failed read. Not "what changed after the last number seen": numbers are taken when a statement runs, not when
	 * it commits, so a change with a lower number can commit after one with a higher number was read, and would be
	 * skipped. Rows this mirror already has at that number or newer are left as they are.
	 */
	async #load(): Promise<void> {
		const {tasks} = await this.#rows.all();
		for (const held of tasks) this.#apply(held);
	}

	/** #load in the background: a failure is reported, and the next reconnect or failed read tries again. */
	async #reload(): Promise<void> {
		try {
			await this.#load();
		} catch (error) {
			this.#options.onError?.(`Could not read the shared tasks again: ${messageOf(error)}`, error);
		}
	}

	/**
	 * A task as the database holds it: taken into the mirror unless this host's own newer write is still on its way, or
	 * the mirror already has this state or a later one (a read that raced this host's own write).
	 */
	#apply({task, hostId, changeSeq}: HeldTask): void {
		if (this.#isClosed || this.#queue.has(task.id) || changeSeq <= (this.#seqOf.get(task.id) ?? 0)) return;
		this.#seqOf.set(task.id, changeSeq);
		const previousHolder = this.#holders.get(task.id);
		this.#holders.set(task.id, hostId);
		const previous = this.#tasks.get(task.id);
		// A claim or a takeover changes only the holder: still news for views that show where each task runs.
		if (previous && isDeepStrictEqual(previous, task) && previousHolder === hostId) return;
		this.#tasks.set(task.id, task);
		this.#options.onRemoteChange?.(structuredClone(task), previous?.status, hostId);
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError('The shared task store is closed; open a new MirroredTaskStore to use it again.');
	}
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
