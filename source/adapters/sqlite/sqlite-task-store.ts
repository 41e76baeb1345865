import Database from 'better-sqlite3';
import {FleetError, TaskNotFoundError} from '../../core/domain/errors.js';
import {TASK_STATUSES, type Task, type TaskStatus} from '../../core/domain/task.js';
import type {TaskFilter, TaskStore} from '../../core/ports/task-store.js';
import {openDatabase} from './open-database.js';
import {isSqliteError, storeError} from './sqlite-errors.js';

import {COLUMNS, fromRow, toRow, type TaskRow} from './task-row.js';

const SELECT_COLUMNS = COLUMNS.join(', ');

/** Filters on statuses through one JSON array parameter, so one prepared statement serves any set of them. */
const STATUS_FILTER = 'status IN (SELECT value FROM json_each(@statuses))';

/**
 * TaskStore on an embedded SQLite file (or ':memory:').
 * WAL with synchronous=NORMAL: a committed write survives the process being killed; a power loss may
 * lose the last few commits but never corrupts the file.
 */
export class SqliteTaskStore implements TaskStore {
	readonly #db: Database.Database;
	readonly #insert: Database.Statement<TaskRow>;
	readonly #update: Database.Statement<TaskRow>;
	readonly #get: Database.Statement<[string], TaskRow>;
	readonly #listAll: Database.Statement<[], TaskRow>;
	readonly #listByStatus: Database.Statement<{statuses: string}, TaskRow>;
	readonly #listNewest: Database.Statement<{limit: number}, TaskRow>;
	readonly #listNewestByStatus: Database.Statement<{statuses: string; limit: number}, TaskRow>;
	readonly #countByStatus: Database.Statement<[], {status: string; count: number}>;
	readonly #totalCost: Database.Statement<[], {total: number | null}>;
	readonly #costSince: Database.Statement<[number], {total: number | null}>;
	#isClosed = false;

	constructor(readonly path: string) {
		const db = openDatabase(path);
		this.#db = db;
		this.#insert = db.prepare(`INSERT INTO tasks (${SELECT_COLUMNS}) VALUES (${COLUMNS.map(column => `@${column}`).join(', ')})`);
		this.#update = db.prepare(
			`UPDATE tasks SET ${COLUMNS.filter(column => column !== 'id')
				.map(column => `${column} = @${column}`)
				.join(', ')} WHERE id = @id`,
		);
		this.#get = db.prepare(`SELECT ${SELECT_COLUMNS} FROM tasks WHERE id = ?`);
		this.#listAll = db.prepare(`SELECT ${SELECT_COLUMNS} FROM tasks ORDER BY seq`);
		this.#listByStatus = db.prepare(`SELECT ${SELECT_COLUMNS} FROM tasks WHERE ${STATUS_FILTER} ORDER BY seq`);
		// The newest N are picked in descending order, then turned back to oldest first.
		this.#listNewest = db.prepare(`SELECT * FROM (SELECT seq, ${SELECT_COLUMNS} FROM tasks ORDER BY seq DESC LIMIT @limit) ORDER BY seq`);
		this.#listNewestByStatus = db.prepare(`SELECT * FROM (SELECT seq, ${SELECT_COLUMNS} FROM tasks WHERE ${STATUS_FILTER} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`);
		this.#countByStatus = db.prepare('SELECT status, COUNT(*) AS count FROM tasks GROUP BY status');
		this.#totalCost = db.prepare('SELECT SUM(cost_usd) AS total FROM tasks');
		this.#costSince = db.prepare('SELECT SUM(cost_usd) AS total FROM tasks WHERE COALESCE(started_at, created_at) >= ?');
	}

	totalCostUsd(since?: number): number {
		return this.#guard(() => (since === undefined ? this.#totalCost.get() : this.#costSince.get(since))?.total ?? 0);
	}

	countByStatus(): Record<TaskStatus, number> {
		const counts = Object.fromEntries(TASK_STATUSES.map(status => [status, 0])) as Record<TaskStatus, number>;
		for (const {status, count} of this.#guard(() => this.#countByStatus.all())) {
			if (status in counts) counts[status as TaskStatus] = count;
		}
		return counts;
	}

	insert(task: Task): void {
		this.#guard(() => {
			try {
				this.#insert.run(toRow(task));
			} catch (error) {
				if (isSqliteError(error) && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
					throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`, {cause: error});
				}

				throw error;
			}
		});
	}

	update(task: Task): void {
		const {changes} = this.#guard(() => this.#update.run(toRow(task)));
		if (changes === 0) throw new TaskNotFoundError(task.id);
	}

	get(id: string): Task | undefined {
		const row = this.#guard(() => this.#get.get(id));
		return row ? fromRow(row) : undefined;
	}

	list(filter: TaskFilter = {}): Task[] {
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
			throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		}

		if (statuses?.length === 0 || limit === 0) return [];
		const rows = this.#guard(() =>
			statuses === undefined
				? limit === undefined
					? this.#listAll.all()
					: this.#listNewest.all({limit})
				: limit === undefined
					? this.#listByStatus.all({statuses: JSON.stringify(statuses)})
					: this.#listNewestByStatus.all({statuses: JSON.stringify(statuses), limit}),
		);
		return rows.map(row => fromRow(row));
	}

	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#db.close();
	}

	/**
	 * Caps the file's growth at about `maxBytes` (SQLite's max_page_count; it never goes below the size the file has
	 * now): a write that needs more fails as on a full disk. Without `maxBytes`, the cap is lifted.
	 */
	capSize(maxBytes?: number): void {
		const pageSize = this.#db.pragma('page_size', {simple: true}) as number;
		this.#db.pragma(`max_page_count = ${maxBytes === undefined ? 0xfffffffe : Math.max(1, Math.floor(maxBytes / pageSize))}`);
	}

	/** Runs one statement on the open store; SQLite's failures come out as errors that say what to do. */
	#guard<T>(statement: () => T): T {
		if (this.#isClosed) throw new FleetError(`The task store at ${this.path} is closed; open a new SqliteTaskStore to use it again.`);
		try {
			return statement();
		} catch (error) {
			throw storeError(this.path, error);
		}
	}
}
