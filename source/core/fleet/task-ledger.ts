import {FleetError, messageOf, TaskNotFoundError} from '../domain/errors.js';
import {isTerminal, type Task, type TaskStatus} from '../domain/task.js';
import type {EventBus} from '../events.js';
import type {Clock} from '../ports/clock.js';
import type {ChangeJournal} from '../ports/change-journal.js';
import type {TaskFilter, TaskStore} from '../ports/task-store.js';
import {UnwrittenChanges} from './unwritten-changes.js';

/** The first retry of a write the store refused comes this soon; each failure doubles it, up to the maximum. */
const WRITE_RETRY_FIRST_MS = 100;
const WRITE_RETRY_MAX_MS = 2_000;
/** Tries for unwritten changes when the fleet stops (each waits at most the store's short lock timeout; blocking is harmless then). */
const CLOSE_WRITE_ATTEMPTS = 100;

/**
 * The one way a task changes: store, then memory, then the bus. When the store refuses a write for a reason that
 * passes (another process holds the database's lock, the disk is full, an I/O error), the change is not lost: memory
 * takes it (so every view and the fleet itself go on from the truth), the bus announces it, and the write is queued
 * and tried again on a timer with back-off, never in a loop that would hold the event loop. A task that ended while
 * the store refused writes is ended in memory, so nothing runs it again. Unfinished tasks are held in memory;
 * finished ones are read from the store (or from the queue of unwritten changes). Once closed (the fleet stopped and
 * its host is about to close the store), every write is refused and reported instead.
 */
export class TaskLedger {
	readonly #store: TaskStore;
	readonly #bus: EventBus;
	readonly #clock: Clock;
	readonly #report: (message: string, cause: unknown) => void;
	/** Tasks that are not yet terminal, by id. */
	readonly #active = new Map<string, Task>();
	readonly #unwritten = new UnwrittenChanges();
	#cancelRetry: (() => void) | undefined;
	#retryDelayMs = WRITE_RETRY_FIRST_MS;
	#isClosed = false;

	readonly #journal: ChangeJournal | undefined;

	constructor(store: TaskStore, bus: EventBus, clock: Clock, report: (message: string, cause: unknown) => void, journal?: ChangeJournal) {
		this.#store = store;
		this.#journal = journal;
		this.#bus = bus;
		this.#clock = clock;
		this.#report = report;
	}

	/** The task, from memory while it is unfinished or its change is not written yet, else from the store. */
	find(id: string): Task | undefined {
		return this.#active.get(id) ?? this.#unwritten.get(id) ?? this.#store.get(id);
	}

	/** The task with that id; throws TaskNotFoundError. */
	get(id: string): Task {
		const task = this.find(id);
		if (!task) throw new TaskNotFoundError(id);
		return task;
	}

	/** The unfinished task with that id, if it is one. */
	active(id: string): Task | undefined {
		return this.#active.get(id);
	}

	activeTasks(): IterableIterator<Task> {
		return this.#active.values();
	}

	list(filter?: TaskFilter): Task[] {
		return this.#unwritten.overList(this.#store.list(filter), filter);
	}

	counts(): Record<TaskStatus, number> {
		return this.#unwritten.overCounts(this.#store.countByStatus());
	}

	totalCostUsd(): number {
		return this.#store.totalCostUsd() + this.#unwritten.costNotStored();
	}

	/** Changes the store has not taken yet, and why, while there are any. */
	unwritten(): {count: number; since: number; reason: string} | undefined {
		return this.#unwritten.state();
	}

	/** Holds a task read back from the store at start-up, without writing it again. */
	adopt(task: Task): void {
		if (!isTerminal(task.status)) this.#active.set(task.id, task);
	}

	/** Lets go of an unfinished task without writing it: another host holds it now, or this host gave it back. */
	forget(id: string): void {
		this.#active.delete(id);
	}

	/**
	 * Stores a new task for any host of a shared store to claim, and announces it; this host holds it only once it
	 * claims it. Throws when the store refuses it.
	 */
	insertUnheld(task: Task): void {
		if (this.#isClosed) throw new Error(`Task ${task.id} arrived after the fleet stopped; it was not stored.`);
		this.#store.insert(task);
		this.#bus.emit('task:created', {task});
	}

	/** Stores a new task and announces it. Throws when the store refuses it, so the caller learns it was not taken. */
	insert(task: Task): void {
		if (this.#isClosed) throw new Error(`Task ${task.id} arrived after the fleet stopped; it was not stored.`);
		this.#store.insert(task);
		this.#active.set(task.id, task);
		this.#bus.emit('task:created', {task});
	}

	/**
	 * Writes a task's new state. A write the store refuses for a passing reason is queued and retried, and the change
	 * holds meanwhile (true). False (and reported) only when it can never be written (the fleet stopped, the task is
	 * not in the store), and then nothing changed.
	 */
	save(task: Task, previous: TaskStatus): boolean {
		if (this.#isClosed) {
			this.#report(`A change to task ${task.id} came after the fleet stopped; it was not written.`, undefined);
			return false;
		}
		// While writes are refused, a new one waits its turn behind them rather than hold the event loop for nothing.
		if (this.#unwritten.size > 0) {
			this.#queue(task, undefined);
		} else {
			try {
				this.#store.update(task);
			} catch (error) {
				if (error instanceof TaskNotFoundError) {
					this.#report(`Could not save task ${task.id}: ${error.message}`, error);
					return false;
				}
				this.#queue(task, error);
			}
		}
		if (isTerminal(task.status)) this.#active.delete(task.id);
		else this.#active.set(task.id, task);
		this.#bus.emit('task:updated', {task, previous});
		return true;
	}

	/** Changes fields of an unfinished task (status stays). */
	update(id: string, changes: Partial<Task>): void {
		const task = this.#active.get(id);
		if (!task) return;
		this.save({...task, ...changes, updatedAt: this.#clock.now()}, task.status);
	}

	/** Changes fields of a task whether or not it has ended (a checkpoint, a merge outcome, written after its end). */
	amend(id: string, changes: (task: Task) => Partial<Task>): Task | undefined {
		const task = this.find(id);
		if (!task) return undefined;
		const next = {...task, ...changes(task)};
		return this.save(next, task.status) ? next : undefined;
	}

	/**
	 * Refuses every later write. The fleet calls it last in stop(), before its host closes the store. Changes still
	 * unwritten get a last few tries; any the store still refuses are reported by task, with what they said.
	 */
	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#cancelRetry?.();
		this.#cancelRetry = undefined;
		for (let attempt = 0; attempt < CLOSE_WRITE_ATTEMPTS && this.#unwritten.size > 0; attempt++) this.#flush();
		if (this.#unwritten.size === 0) return;
		const which = `${this.#unwritten.size} task change(s) the database never took (${this.#unwritten.state()?.reason}): ${this.#unwritten.describe()}`;
		try {
			if (!this.#journal) throw new Error('this fleet keeps no journal');
			this.#journal.keep(this.#unwritten.tasks());
			this.#report(`ccfleet stopped with ${which}. They are kept in ${this.#journal.location} and written first at the next start.`, undefined);
		} catch (error) {
			this.#report(
				`ccfleet stopped with ${which}, and could not keep them elsewhere (${messageOf(error)}). ` +
					'The database still holds their earlier state; at the next start those tasks are recovered from it.',
				error,
			);
		}
	}

	/**
	 * Writes what the last run kept in the journal (changes its database never took) before anything is recovered, so
	 * a task whose end was known then is not run again. Throws, recovering nothing, when the store still refuses them.
	 */
	replayJournal(): number {
		const kept = this.#journal?.pending() ?? [];
		for (const task of kept) {
			try {
				this.#store.update(task);
			} catch (error) {
				if (error instanceof TaskNotFoundError) continue;
				throw new FleetError(
					`The last run left ${kept.length} task change(s) in ${this.#journal!.location} that the database still refuses (${messageOf(error)}). ` +
						'Nothing was started, so no finished task runs again: free the database (see `ccfleet doctor`) and start ccfleet again.',
					{cause: error},
				);
			}
		}
		if (kept.length > 0) this.#journal!.clear();
		return kept.length;
	}

	/** Keeps a change the store refused, and tries it again later; the first refusal of a spell is reported. */
	#queue(task: Task, error: unknown): void {
		// What the store holds for it is what memory held before this change, unless an earlier change is queued too.
		const stored = this.#unwritten.has(task.id) ? undefined : (this.#active.get(task.id) ?? this.#storedOrNothing(task.id));
		const isFirst = this.#unwritten.size === 0;
		const reason = error === undefined ? undefined : messageOf(error);
		this.#unwritten.add(task, stored, reason, this.#clock.now());
		if (isFirst) {
			this.#report(
				`Could not save task ${task.id}: ${reason ?? 'the database refused an earlier write'}. ccfleet keeps the change and goes on; it writes this and every later change as soon as the database takes writes again (tried again with back-off).`,
				error,
			);
		}
		this.#scheduleRetry();
	}

	#storedOrNothing(id: string): Task | undefined {
		try {
			return this.#store.get(id);
		} catch {
			return undefined;
		}
	}

	#scheduleRetry(): void {
		if (this.#cancelRetry || this.#isClosed) return;
		this.#cancelRetry = this.#clock.setTimeout(() => {
			this.#cancelRetry = undefined;
			this.#flush();
			if (this.#unwritten.size === 0) return;
			this.#retryDelayMs = Math.min(WRITE_RETRY_MAX_MS, this.#retryDelayMs * 2);
			this.#scheduleRetry();
		}, this.#retryDelayMs);
	}

	/**
	 * Writes the queued changes in order, and stops at the first the store refuses: a held lock or a full disk would
	 * refuse the rest too, and each refusal may have waited for the lock. The refused change goes to the back, so that
	 * a change the store refuses for a reason of its own does not hold up the others for ever.
	 */
	#flush(): void {
		for (const task of this.#unwritten.tasks()) {
			try {
				this.#store.update(task);
			} catch (error) {
				if (!(error instanceof TaskNotFoundError)) {
					this.#unwritten.noteFailure(messageOf(error));
					this.#unwritten.moveToBack(task.id);
					return;
				}
				this.#report(`Could not save task ${task.id}: ${error.message}`, error);
			}
			this.#unwritten.delete(task.id);
		}
		this.#retryDelayMs = WRITE_RETRY_FIRST_MS;
	}
}
