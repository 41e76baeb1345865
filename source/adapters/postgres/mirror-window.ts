// What MirroredTaskStore keeps in memory and what it lets go of: the window's rules, and the small record it keeps of
// each task it let go of so that counts and costs stay exact. See docs/research/multi-host-store.md §4.1.
import {TASK_STATUSES, isTerminal, type Task, type TaskStatus} from '../../core/domain/task.js';

export type MirrorWindow = {
	/** Finished tasks that changed (ended, or were created) within this long stay in memory; 36 h covers the daily budget's local day. */
	windowMs: number;
	/** And the newest this many finished tasks older than that (a dashboard's recent history on a quiet fleet). */
	keepFinished: number;
	/** How often tasks that left the window are moved out of memory (at most once per interval). */
	sweepMs: number;
	/** The clock the window is measured on (tests move it). */
	now(): number;
};

export const DEFAULT_WINDOW_HOURS = 36;
export const DEFAULT_MIRROR_WINDOW: MirrorWindow = {windowMs: DEFAULT_WINDOW_HOURS * 3_600_000, keepFinished: 2_000, sweepMs: 5 * 60_000, now: () => Date.now()};

/** What the mirror remembers of a task it holds no more: enough for countByStatus() and totalCostUsd(), ~100 bytes. */
export type ArchivedTask = {status: TaskStatus; costUsd: number; /** tasks.change_seq of this state: an older row is stale. */ changeSeq: number};

/**
 * Which tasks leave memory now: the finished ones that last changed before `windowStart`, except the newest
 * `keepFinished` of them (the mirror's order is oldest first) and those in `keep` (looked up lately, or being written).
 * A task outside the window started before it too, so totalCostUsd(since) for any `since` within it needs none of them.
 */
export function tasksLeavingWindow(tasks: Iterable<Task>, windowStart: number, keepFinished: number, keep: (id: string) => boolean): Task[] {
	const old: Task[] = [];
	for (const task of tasks) if (isTerminal(task.status) && task.updatedAt < windowStart) old.push(task);
	return old.slice(0, Math.max(0, old.length - keepFinished)).filter(task => !keep(task.id));
}

/** The archived tasks by id, with their counts per status and their cost kept as they come and go. */
export class ArchivedTasks {
	readonly #byId = new Map<string, ArchivedTask>();
	readonly #counts = zeroCounts();
	#costUsd = 0;

	get size(): number {
		return this.#byId.size;
	}

	get(id: string): ArchivedTask | undefined {
		return this.#byId.get(id);
	}

	set(id: string, archived: ArchivedTask): void {
		this.take(id);
		this.#byId.set(id, archived);
		this.#counts[archived.status]++;
		this.#costUsd += archived.costUsd;
	}

	/** Removes the record (the task is back in memory) and returns it. */
	take(id: string): ArchivedTask | undefined {
		const archived = this.#byId.get(id);
		if (!archived) return undefined;
		this.#byId.delete(id);
		this.#counts[archived.status]--;
		// A sum kept by adding and subtracting drifts by rounding; with nothing left it is exactly nothing.
		this.#costUsd = this.#byId.size === 0 ? 0 : this.#costUsd - archived.costUsd;
		return archived;
	}

	/** Adds the archived tasks' counts to `counts`. */
	addCounts(counts: Record<TaskStatus, number>): Record<TaskStatus, number> {
		for (const status of TASK_STATUSES) counts[status] += this.#counts[status];
		return counts;
	}

	costUsd(): number {
		return this.#costUsd;
	}
}

export function zeroCounts(): Record<TaskStatus, number> {
	return Object.fromEntries(TASK_STATUSES.map(status => [status, 0])) as Record<TaskStatus, number>;
}
