import {TaskNotFoundError} from '../domain/errors.js';
import {isTerminal, type Task, type TaskStatus} from '../domain/task.js';
import type {EventBus} from '../events.js';
import type {Clock} from '../ports/clock.js';
import type {TaskFilter, TaskStore} from '../ports/task-store.js';

/**
 * The one way a task changes: store first, then memory, then the bus, so that a change nobody could persist is never
 * announced. Unfinished tasks are held in memory; finished ones are read from the store. Once closed (the fleet
 * stopped and its host is about to close the store), every write is refused and reported instead.
 */
export class TaskLedger {
	readonly #store: TaskStore;
	readonly #bus: EventBus;
	readonly #clock: Clock;
	readonly #report: (message: string, cause: unknown) => void;
	/** Tasks that are not yet terminal, by id. */
	readonly #active = new Map<string, Task>();
	#isClosed = false;

	constructor(store: TaskStore, bus: EventBus, clock: Clock, report: (message: string, cause: unknown) => void) {
		this.#store = store;
		this.#bus = bus;
		this.#clock = clock;
		this.#report = report;
	}

	/** The task, from memory while it is unfinished, else from the store. */
	find(id: string): Task | undefined {
		return this.#active.get(id) ?? this.#store.get(id);
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
		return this.#store.list(filter);
	}

	counts(): Record<TaskStatus, number> {
		return this.#store.countByStatus();
	}

	totalCostUsd(): number {
		return this.#store.totalCostUsd();
	}

	/** Holds a task read back from the store at start-up, without writing it again. */
	adopt(task: Task): void {
		if (!isTerminal(task.status)) this.#active.set(task.id, task);
	}

	/** Stores a new task and announces it. Throws when the store refuses it, so the caller learns it was not taken. */
	insert(task: Task): void {
		if (this.#isClosed) throw new Error(`Task ${task.id} arrived after the fleet stopped; it was not stored.`);
		this.#store.insert(task);
		this.#active.set(task.id, task);
		this.#bus.emit('task:created', {task});
	}

	/** Writes a task's new state; false (and reported) when it could not be written, and then nothing changed. */
	save(task: Task, previous: TaskStatus): boolean {
		if (this.#isClosed) {
			this.#report(`A change to task ${task.id} came after the fleet stopped; it was not written.`, undefined);
			return false;
		}
		try {
			this.#store.update(task);
		} catch (error) {
			this.#report(`Could not save task ${task.id}: ${error instanceof Error ? error.message : String(error)}`, error);
			return false;
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

	/** Refuses every later write. The fleet calls it last in stop(), before its host closes the store. */
	close(): void {
		this.#isClosed = true;
	}
}
