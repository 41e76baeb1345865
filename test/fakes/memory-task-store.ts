import {FleetError, TaskNotFoundError} from '../../source/core/domain/errors.js';
import {TASK_STATUSES, type Task, type TaskStatus} from '../../source/core/domain/task.js';
import {type TaskFilter, type TaskStore} from '../../source/core/ports/task-store.js';

/**
 * TaskStore in memory, held to the same contract as SqliteTaskStore (test/contracts). Values are copied
 * in and out, so a caller that mutates a task it passed or got back cannot change what is stored.
 */
export class MemoryTaskStore implements TaskStore {
	// A Map iterates in insertion order, which is the order the port promises.
	readonly #tasks = new Map<string, Task>();
	#isClosed = false;

	insert(task: Task): void {
		this.#assertOpen();
		if (this.#tasks.has(task.id)) throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`);
		this.#tasks.set(task.id, copy(task));
	}

	update(task: Task): void {
		this.#assertOpen();
		if (!this.#tasks.has(task.id)) throw new TaskNotFoundError(task.id);
		this.#tasks.set(task.id, copy(task));
	}

	get(id: string): Task | undefined {
		this.#assertOpen();
		const task = this.#tasks.get(id);
		return task && copy(task);
	}

	list(filter: TaskFilter = {}): Task[] {
		this.#assertOpen();
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
			throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		}

		const matching = [...this.#tasks.values()].filter(task => statuses === undefined || statuses.includes(task.status));
		const picked = limit === undefined ? matching : matching.slice(Math.max(0, matching.length - limit));
		return picked.map(task => copy(task));
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

	close(): void {
		this.#isClosed = true;
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError('The task store is closed; open a new one to use it again.');
	}
}

/** A deep copy without keys whose value is undefined: SQLite cannot keep them either. */
function copy(task: Task): Task {
	const clone = structuredClone(task);
	for (const key of Object.keys(clone) as Array<keyof Task>) {
		if (clone[key] === undefined) delete clone[key];
	}

	return clone;
}
