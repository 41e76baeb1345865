import {TASK_STATUSES, type Task, type TaskStatus} from '../domain/task.js';
import type {TaskFilter} from '../ports/task-store.js';

type Entry = {
	/** The newest state, to be written. */
	task: Task;
	/** What the store holds for the task meanwhile (its status and cost), so counts and totals read true. */
	storedStatus: TaskStatus | undefined;
	storedCostUsd: number;
};

/**
 * Task changes the store refused and the ledger will write again: the newest state of each task (a later change
 * replaces an earlier one, since a write replaces the whole task), in the order they first failed. Reads of the store
 * are corrected with them, so that views show what memory holds, not what the store could not take.
 */
export class UnwrittenChanges {
	readonly #entries = new Map<string, Entry>();
	#since = 0;
	#reason = '';

	get size(): number {
		return this.#entries.size;
	}

	has(id: string): boolean {
		return this.#entries.has(id);
	}

	get(id: string): Task | undefined {
		return this.#entries.get(id)?.task;
	}

	tasks(): Task[] {
		return [...this.#entries.values()].map(entry => entry.task);
	}

	/** `stored` is what the store holds for the task, when this is its first unwritten change. */
	add(task: Task, stored: Task | undefined, reason: string | undefined, now: number): void {
		if (this.#entries.size === 0) this.#since = now;
		if (reason !== undefined) this.#reason = reason;
		const earlier = this.#entries.get(task.id);
		this.#entries.set(task.id, earlier ? {...earlier, task} : {task, storedStatus: stored?.status, storedCostUsd: stored?.costUsd ?? 0});
	}

	moveToBack(id: string): void {
		const entry = this.#entries.get(id);
		if (!entry) return;
		this.#entries.delete(id);
		this.#entries.set(id, entry);
	}

	delete(id: string): void {
		this.#entries.delete(id);
	}

	noteFailure(reason: string): void {
		this.#reason = reason;
	}

	state(): {count: number; since: number; reason: string} | undefined {
		return this.#entries.size === 0 ? undefined : {count: this.#entries.size, since: this.#since, reason: this.#reason};
	}

	/** "t1 (completed), t2 (failed)". */
	describe(): string {
		return this.tasks()
			.map(task => `${task.id} (${task.status})`)
			.join(', ');
	}

	/** The store's answer to a list, with the newest state of each unwritten task in it (and only where it matches). */
	overList(stored: Task[], filter: TaskFilter = {}): Task[] {
		if (this.#entries.size === 0) return stored;
		const matches = (task: Task) => filter.statuses === undefined || filter.statuses.includes(task.status);
		const listed = new Set(stored.map(task => task.id));
		const tasks = stored.map(task => this.#entries.get(task.id)?.task ?? task).filter(task => matches(task));
		// A task the store lists under its old status is missing from a filter on its new one.
		const missing = this.tasks().filter(task => !listed.has(task.id) && matches(task));
		if (missing.length === 0) return tasks;
		const all = [...tasks, ...missing].sort((a, b) => a.createdAt - b.createdAt);
		return filter.limit === undefined ? all : all.slice(Math.max(0, all.length - filter.limit));
	}

	overCounts(stored: Record<TaskStatus, number>): Record<TaskStatus, number> {
		const counts = {...stored};
		for (const {task, storedStatus} of this.#entries.values()) {
			if (storedStatus !== undefined && counts[storedStatus] > 0) counts[storedStatus]--;
			if (TASK_STATUSES.includes(task.status)) counts[task.status]++;
		}
		return counts;
	}

	costNotStored(): number {
		let delta = 0;
		for (const {task, storedCostUsd} of this.#entries.values()) delta += task.costUsd - storedCostUsd;
		return delta;
	}
}
