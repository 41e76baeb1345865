// Longer than ~300 lines for a reason: the tasks, their holders, their change numbers, the archived records and the
// write queue are one state that every write, heard change, load and sweep moves together; the rules that need none of
// it (what the window keeps, the archived counts) are in mirror-window.ts, the writes' order in write-queue.ts.
// The synchronous TaskStore port on the shared PostgreSQL: the core reads and writes a mirror in memory at SQLite's
// speed, and the mirror is kept in step with the database both ways. See docs/research/multi-host-store.md §4.1.
import {isDeepStrictEqual} from 'node:util';
import type pg from 'pg';
import {FleetError, messageOf, TaskNotFoundError} from '../../core/domain/errors.js';
import type {Task, TaskStatus} from '../../core/domain/task.js';
import type {TaskFilter, TaskStore} from '../../core/ports/task-store.js';
import type {ChangeFeed} from './change-feed.js';
import {TaskChangeListener, type TaskChange} from './change-listener.js';
import {ArchivedTasks, DEFAULT_MIRROR_WINDOW, tasksLeavingWindow, zeroCounts, type MirrorWindow} from './mirror-window.js';
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
	/** Which finished tasks stay in memory (mirror-window.ts); the rest are read on demand (preload). */
	window?: Partial<MirrorWindow>;
};

/**
 * TaskStore on PostgreSQL, synchronous as the port is: the fleet's tasks are mirrored in memory (loaded at open, kept
 * current by the tasks channel, read again after a dropped listener), reads come from the mirror, and writes
 * apply to the mirror at once and reach the database behind it, in order, one at a time, the newest state of a task
 * replacing an older one still waiting. `flush()` resolves once everything written before it is committed.
 *
 * The mirror is bounded: it holds every unfinished task, every task changed within the window (36 h) and the newest
 * 2,000 finished before it; a sweep every few minutes lets older finished tasks go, keeping of each only its status
 * and cost (so counts and costs stay exact). `preload(ids)` reads such tasks back for a face that names them; a change
 * another host makes to one brings it back too.
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
	/** Tasks heard changed, to read in the next batch: the newest change number heard of each. */
	readonly #toFetch = new Map<string, number>();
	#fetchTimer: NodeJS.Timeout | undefined;
	#isClosed = false;
	readonly #window: MirrorWindow;
	readonly #archived = new ArchivedTasks();
	/** Tasks a face named since the last sweep: they stay in memory until the sweep after. */
	#named = new Set<string>();
	#sweptAt: number;
	#sweepTimer: NodeJS.Timeout | undefined;
	/** A task came back from the archive at the end of the map: list() sorts the map by age before it answers. */
	#isOutOfOrder = false;

	private constructor(pool: pg.Pool, changes: ChangeFeed, options: MirrorOptions) {
		this.#options = options;
		this.#window = {...DEFAULT_MIRROR_WINDOW, ...options.window};
		this.#sweptAt = this.#window.now();
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
		});
	}

	/**
	 * Starts listening and loads the window (every unfinished task and the recent ones; of the others, their status
	 * and cost), then sweeps every `sweepMs` on a timer that does not keep the process alive. `changes`: the host's ChangeFeed (one listening session for all its
	 * mirrors).
	 */
	static async open(pool: pg.Pool, changes: ChangeFeed, options: MirrorOptions = {}): Promise<MirroredTaskStore> {
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
		store.#sweepTimer = setInterval(() => store.sweep(), store.#window.sweepMs).unref();
		return store;
	}

	insert(task: Task): void {
		this.#assertOpen();
		if (this.#tasks.has(task.id) || this.#archived.get(task.id)) throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`);
		this.#tasks.set(task.id, structuredClone(task));
		this.#queue.insert(structuredClone(task));
	}

	update(task: Task): void {
		this.#assertOpen();
		if (!this.#tasks.has(task.id)) throw this.#archived.get(task.id) ? notInMemory(task.id) : new TaskNotFoundError(task.id);
		this.#tasks.set(task.id, structuredClone(task));
		this.#queue.update(structuredClone(task));
	}

	/** Undefined for a task that is not in memory (unknown, or finished before the window and not preloaded). */
	get(id: string): Task | undefined {
		this.#assertOpen();
		const task = this.#tasks.get(id);
		return task && structuredClone(task);
	}

	list(filter: TaskFilter = {}): Task[] {
		this.#assertOpen();
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		this.#sortIfNeeded();
		const matching = [...this.#tasks.values()].filter(task => statuses === undefined || statuses.includes(task.status));
		return (limit === undefined ? matching : matching.slice(Math.max(0, matching.length - limit))).map(task => structuredClone(task));
	}

	countByStatus(): Record<TaskStatus, number> {
		this.#assertOpen();
		const counts = this.#archived.addCounts(zeroCounts());
		for (const task of this.#tasks.values()) counts[task.status]++;
		return counts;
	}

	/** Exact for every task, and with `since` for any `since` within the window: the tasks out of memory started before it. */
	totalCostUsd(since?: number): number {
		this.#assertOpen();
		let total = since === undefined ? this.#archived.costUsd() : 0;
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
			this.#takeBack(task.id);
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

	/**
	 * Reads back into memory the named tasks the mirror let go of (finished before the window), for a face about to
	 * use them synchronously; they stay until the sweep after the next. Ids it holds or does not know cost nothing.
	 */
	async preload(ids: readonly string[]): Promise<void> {
		this.#assertOpen();
		for (const id of ids) this.#named.add(id);
		const archived = ids.filter(id => this.#archived.get(id));
		if (archived.length === 0) return;
		for (const held of await this.#rows.heldMany([...new Set(archived)])) {
			const known = this.#archived.get(held.task.id);
			// As archived (the usual case): back in memory quietly. Changed meanwhile: news, as a change heard is.
			if (!known || held.changeSeq > known.changeSeq) this.#apply(held);
			else if (!this.#isClosed) this.#restore(held);
		}
	}

	/**
	 * Lets go of the finished tasks that left the window (at most once per `sweepMs`; the timer calls it), keeping
	 * each one's status and cost. Returns how many went.
	 */
	sweep(): number {
		const now = this.#window.now();
		if (this.#isClosed || now - this.#sweptAt < this.#window.sweepMs) return 0;
		this.#sweptAt = now;
		const named = this.#named;
		this.#named = new Set();
		const leaving = tasksLeavingWindow(this.#tasks.values(), now - this.#window.windowMs, this.#window.keepFinished, id => named.has(id) || this.#queue.has(id));
		for (const task of leaving) {
			this.#archived.set(task.id, {status: task.status, costUsd: task.costUsd, changeSeq: this.#seqOf.get(task.id) ?? 0});
			this.#tasks.delete(task.id);
			this.#seqOf.delete(task.id);
			this.#holders.delete(task.id);
		}
		return leaving.length;
	}

	/** How many tasks are in memory, and how many are kept only as status and cost. */
	sizes(): {inMemory: number; archived: number} {
		return {inMemory: this.#tasks.size, archived: this.#archived.size};
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
		clearInterval(this.#sweepTimer);
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
		this.#toFetch.set(change.id, Math.max(change.seq, this.#toFetch.get(change.id) ?? 0));
		this.#fetchTimer ??= setTimeout(() => {
			this.#fetchTimer = undefined;
			// Not read again: a change this mirror already has, mostly the echo of its own write (#apply would drop the row).
			const ids = [...this.#toFetch].filter(([id, seq]) => seq > this.#knownSeq(id)).map(([id]) => id);
			this.#toFetch.clear();
			if (ids.length === 0) return;
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
	 * Reads the window again, and the status and cost of every task outside it: at open, after the listener
	 * reconnected (what was announced meanwhile is lost) and after a failed read. Not "what changed after the last
	 * number seen": numbers are taken when a statement runs, not when it commits, so a change with a lower number can
	 * commit after one with a higher number was read, and would be skipped. Rows this mirror already has at that number
	 * or newer are left as they are; a task in memory that the database has outside the window goes at the next sweep.
	 */
	async #load(): Promise<void> {
		const {tasks, archived} = await this.#rows.window(this.#window.now() - this.#window.windowMs, this.#window.keepFinished);
		for (const held of tasks) this.#apply(held);
		const changed: string[] = [];
		for (const {id, ...record} of archived) {
			if (!this.#tasks.has(id)) this.#archived.set(id, record);
			else if (record.changeSeq > (this.#seqOf.get(id) ?? 0)) changed.push(id);
		}
		if (changed.length > 0) for (const held of await this.#rows.heldMany(changed)) this.#apply(held);
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
		if (this.#isClosed || this.#queue.has(task.id)) return;
		if (changeSeq <= this.#knownSeq(task.id)) return;
		// An archived task changed: back in memory, out of the record (counted once), announced with its status as it was.
		const archived = this.#takeBack(task.id);
		this.#seqOf.set(task.id, changeSeq);
		const previousHolder = this.#holders.get(task.id);
		this.#holders.set(task.id, hostId);
		const previous = this.#tasks.get(task.id);
		// A claim or a takeover changes only the holder: still news for views that show where each task runs.
		if (previous && isDeepStrictEqual(previous, task) && previousHolder === hostId) return;
		this.#tasks.set(task.id, task);
		this.#options.onRemoteChange?.(structuredClone(task), previous?.status ?? archived?.status, hostId);
	}

	/** The change number of the newest state this mirror has of a task, in memory or archived (0: none). */
	#knownSeq(id: string): number {
		return this.#seqOf.get(id) ?? this.#archived.get(id)?.changeSeq ?? 0;
	}

	/** An archived task read back unchanged: into memory without an announcement. */
	#restore({task, hostId, changeSeq}: HeldTask): void {
		this.#takeBack(task.id);
		this.#seqOf.set(task.id, changeSeq);
		this.#holders.set(task.id, hostId);
		this.#tasks.set(task.id, task);
	}

	/** Drops a task's archived record as it comes back into memory (at the map's end, so list() sorts first). */
	#takeBack(id: string): {status: TaskStatus} | undefined {
		const archived = this.#archived.take(id);
		if (archived) this.#isOutOfOrder = true;
		return archived;
	}

	/** Oldest first again after tasks came back from the archive: by creation time, ties in the order held. */
	#sortIfNeeded(): void {
		if (!this.#isOutOfOrder) return;
		this.#isOutOfOrder = false;
		const sorted = [...this.#tasks.values()].sort((a, b) => a.createdAt - b.createdAt);
		this.#tasks.clear();
		for (const task of sorted) this.#tasks.set(task.id, task);
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError('The shared task store is closed; open a new MirroredTaskStore to use it again.');
	}
}

function notInMemory(id: string): FleetError {
	return new FleetError(`Task ${id} finished before the shared store's window and is not in memory; preload it (Fleet.preload) before changing it.`);
}
