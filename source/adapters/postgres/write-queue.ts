import type {Task} from '../../core/domain/task.js';
import {OrderedWrites} from './ordered-writes.js';
import {TaskHeldElsewhereError, type PostgresTaskStore} from './postgres-task-store.js';
import {messageOf} from '../../core/domain/errors.js';

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
 * Task writes on their way to PostgreSQL, in the order they were made, one at a time (OrderedWrites, keyed by task
 * id): a later state of a task replaces a waiting earlier one (a write replaces the whole row, so the newest wins and
 * nothing is lost), an insert still waiting stays an insert, and the queue remembers since when writes have failed.
 */
export class WriteQueue {
	readonly #rows: PostgresTaskStore;
	readonly #writes: OrderedWrites<Entry, number>;
	#failure: {since: number; reason: string} | undefined;

	constructor(rows: PostgresTaskStore, hooks: WriteQueueHooks) {
		this.#rows = rows;
		this.#writes = new OrderedWrites<Entry, number>({
			write: entry => this.#write(entry),
			// Tried again with the newest state if a later one came meanwhile; an insert that never went in stays one.
			retry: (failed, newer) => (newer ? {op: failed.op === 'insert' ? 'insert' : newer.op, task: newer.task} : failed),
			onWritten: (id, changeSeq) => {
				this.#failure = undefined;
				hooks.onWritten?.(id, changeSeq);
			},
			onRefused: (_id, entry, error) => hooks.onRefused(entry.task, error),
			onRetrying: error => {
				this.#failure = {since: this.#failure?.since ?? Date.now(), reason: messageOf(error)};
				hooks.onRetrying(error);
			},
		});
	}

	insert(task: Task): void {
		this.#writes.push(task.id, {op: 'insert', task});
	}

	update(task: Task): void {
		// An insert still waiting becomes an insert of the newest state.
		this.#writes.push(task.id, {op: this.#writes.waiting(task.id)?.op ?? 'update', task});
	}

	/** Whether a write of this task is waiting or under way (this host's state is newer than the database's). */
	has(id: string): boolean {
		return this.#writes.has(id);
	}

	/** Resolves once nothing waits (every write made before it went in or was dropped). */
	async flush(): Promise<void> {
		return this.#writes.flush();
	}

	/**
	 * Gives the writes still waiting `timeoutMs` to go in, then stops trying (the host is stopping). Returns the tasks
	 * that were never written, newest state each, for the caller to keep elsewhere (the journal) or report.
	 */
	async stop(timeoutMs: number): Promise<Task[]> {
		return [...(await this.#writes.stop(timeoutMs)).values()].map(entry => entry.task);
	}

	state(): WriteQueueState | undefined {
		const count = this.#writes.count();
		return this.#failure && count > 0 ? {count, ...this.#failure} : undefined;
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
