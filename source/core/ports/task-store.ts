import type {Task, TaskStatus} from '../domain/task.js';

export type TaskFilter = {
	/** Only tasks in one of these statuses. */
	statuses?: readonly TaskStatus[];
	/** Only the newest this many (still returned oldest first). */
	limit?: number;
};

/**
 * Durable home of every task. Each call is one transaction: after it returns the change survives the process crashing.
 * Synchronous because the embedded SQLite adapter is; the core owns all state in memory and writes through.
 */
export type TaskStore = {
	insert(task: Task): void;
	/** Replaces the stored task with the same id. */
	update(task: Task): void;
	/** On the shared store, undefined for an old finished task until `preload` read it back (see list). */
	get(id: string): Task | undefined;
	/**
	 * Oldest first unless `limit` is set (then the newest `limit`, still oldest first). SQLite returns every task; the
	 * shared (PostgreSQL) store returns the tasks it holds in memory: every unfinished task, every task that changed
	 * within its window (36 h by default) and the newest finished ones before it, plus any preloaded lately.
	 * countByStatus and totalCostUsd count every task either way.
	 */
	list(filter?: TaskFilter): Task[];
	/** How many tasks are in each status. */
	countByStatus(): Record<TaskStatus, number>;
	/**
	 * The sum of every task's cost in USD, or with `since` (epoch ms) of the tasks that started then or later (a task
	 * not started yet counts from its creation): what a daily budget has spent. The shared store is exact for a `since`
	 * within its window (the budget's local midnight is).
	 */
	totalCostUsd(since?: number): number;
	/**
	 * Makes the named tasks available to get() for a while, for a store that keeps old finished tasks out of memory
	 * (the shared one): a face awaits it before it uses ids a caller gave it. Unknown ids are ignored. SQLite has all at hand.
	 */
	preload?(ids: readonly string[]): Promise<void>;
	/**
	 * Resolves once every write made before it is durable, for a store that writes behind (the shared PostgreSQL one);
	 * a face that promises a task is stored awaits it. A store whose every call is one transaction has none.
	 */
	flush?(): Promise<void>;
	close(): void;
};

export type OutputRead = {
	text: string;
	/** Bytes written to the log so far (after the cap, nothing more is counted). */
	bytes: number;
	/** The cap was reached and later output was dropped. */
	truncated: boolean;
};

export type OutputReadOptions = {tailLines?: number; sinceBytes?: number};

/** Each task's output, in a file of its own, capped at a configured number of bytes. */
export type OutputLog = {
	/** Appends to the task's log; past `maxBytes` (default: the log's own cap) output is dropped, with a marker. */
	append(taskId: string, text: string, maxBytes?: number): void;
	/**
	 * The whole log, its last `tailLines` lines, or what follows its first `sinceBytes` bytes (the length of what an
	 * earlier read returned: a follower reads only what was appended since). `bytes` is the whole log's either way.
	 */
	read(taskId: string, options?: OutputReadOptions): OutputRead;
	/** Releases what is held open for a task that will write no more (it can still be read). */
	closeTask(taskId: string): void;
	close(): void;
};
