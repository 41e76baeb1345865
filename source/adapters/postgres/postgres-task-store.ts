import type pg from 'pg';
import {FleetError, TaskNotFoundError} from '../../core/domain/errors.js';
import {TASK_STATUSES, isTerminal, type Task, type TaskStatus} from '../../core/domain/task.js';
import type {TaskFilter} from '../../core/ports/task-store.js';
import {COLUMNS, fromRow, toRow, type TaskRow} from '../sqlite/task-row.js';

/** Columns stored as jsonb: written as the JSON text toRow makes, read back as text for fromRow to parse. */
const JSON_COLUMNS: ReadonlySet<string> = new Set(['depends_on', 'checkpoint', 'worktree', 'merge', 'allow_rules', 'deny_rules', 'answers', 'workflow']);

/** The select list that reads a row in the shape sqlite/task-row.ts maps. */
export const TASK_SELECT = COLUMNS.map(column => (JSON_COLUMNS.has(column) ? `${column}::text AS ${column}` : column)).join(', ');
const UPDATE_SET = COLUMNS.filter(column => column !== 'id')
	.map((column, index) => `${column} = $${index + 2}`)
	.join(', ');

/** Where a task may run: only on one host, or only on hosts with a label. Neither: anywhere. */
export type Placement = {host?: string; label?: string};

/**
 * Another host holds the task now (this host's lease ran out and it was taken over): this host's write is refused, so
 * that a host that was cut off cannot overwrite the new holder's state. The host stops its worker and forgets the task.
 */
export class TaskHeldElsewhereError extends FleetError {
	constructor(
		readonly taskId: string,
		readonly hostId: string | undefined,
		readonly holder: string | undefined,
	) {
		const now = holder ? `host ${holder} holds it now` : 'it went back to the queue';
		super(
			hostId
				? `Task ${taskId} is no longer held by this host (${hostId}): ${now}, because this host's lease ran out. This host stops its worker; the task goes on ` +
						"where it is held. If this host's heartbeats keep lapsing, look at its load and its link to the database."
				: `Task ${taskId} changed hands meanwhile (${now}); send the change to the host that holds it, which carries out changes to its own tasks.`,
		);
	}
}

/** A task as the fleet's shared table holds it: the task, and which host holds it now (or last held it). */
export type HeldTask = {task: Task; hostId: string | undefined; placement: Placement; /** tasks.change_seq: this state's number. */ changeSeq: number};

/**
 * The TaskStore port's operations on the shared PostgreSQL, asynchronous (a network round trip cannot block the event
 * loop as SQLite's local write may). Same semantics as SqliteTaskStore: values in, values out, one statement each.
 * update() writes a task's own fields only; who holds it (host, lease) is task-claims.ts's business, so a core's write
 * can never undo a claim or a takeover.
 */
export class PostgresTaskStore {
	readonly #pool: pg.Pool;
	readonly #hostId: string | undefined;

	/**
	 * With `hostId`, writes are fenced: update() changes a task only while this host holds it, and otherwise throws
	 * TaskHeldElsewhereError (a task nobody holds changes through updateFree). Without it (tools, tests), update()
	 * writes whoever holds the task.
	 */
	constructor(pool: pg.Pool, options: {hostId?: string} = {}) {
		this.#pool = pool;
		this.#hostId = options.hostId;
	}

	/** Returns the change number the insert got. */
	async insert(task: Task, placement: Placement = {}): Promise<number> {
		return insertTask(this.#pool, task, placement);
	}

	/**
	 * Replaces the task's fields and returns the change number it got; throws TaskNotFoundError when no such task is
	 * stored, TaskHeldElsewhereError when fenced out.
	 */
	async update(task: Task): Promise<number> {
		const row = rowFor(task);
		const values: unknown[] = COLUMNS.map(column => row[column]);
		const fence = this.#hostId === undefined ? '' : ` AND host_id = $${values.push(this.#hostId)}`;
		return this.#write(task.id, `UPDATE tasks SET ${UPDATE_SET} WHERE id = $1${fence}`, values, this.#hostId);
	}

	/**
	 * Changes a queued task that no host holds (cancel it, re-prioritise it): any host may, since nobody runs it.
	 * Throws TaskHeldElsewhereError when a host claimed it meanwhile: the change must then go to that host.
	 */
	async updateFree(task: Task): Promise<number> {
		const row = rowFor(task);
		return this.#write(
			task.id,
			`UPDATE tasks SET ${UPDATE_SET} WHERE id = $1 AND host_id IS NULL AND status = 'queued'`,
			COLUMNS.map(column => row[column]),
			undefined,
		);
	}

	/** `asHolder`: the host that wrote as the task's holder (for the error), none for a change to a free task. */
	async #write(id: string, sql: string, values: unknown[], asHolder: string | undefined): Promise<number> {
		const {rows} = await this.#pool.query<{change_seq: number}>(`${sql} RETURNING change_seq::double precision AS change_seq`, values);
		if (rows[0]) return rows[0].change_seq;
		const held = await this.held(id);
		if (held) throw new TaskHeldElsewhereError(id, asHolder, held.hostId);
		throw new TaskNotFoundError(id);
	}

	async get(id: string): Promise<Task | undefined> {
		const {rows} = await this.#pool.query<TaskRow>(`SELECT ${TASK_SELECT} FROM tasks WHERE id = $1`, [id]);
		return rows[0] && fromRow(rows[0]);
	}

	/** The task with who holds it and where it may run. */
	async held(id: string): Promise<HeldTask | undefined> {
		const {rows} = await this.#pool.query<HeldRow>(`SELECT ${HELD_SELECT} FROM tasks WHERE id = $1`, [id]);
		return rows[0] && heldFromRow(rows[0]);
	}

	/** The tasks with these ids that exist, with who holds them. */
	async heldMany(ids: readonly string[]): Promise<HeldTask[]> {
		const {rows} = await this.#pool.query<HeldRow>(`SELECT ${HELD_SELECT} FROM tasks WHERE id = ANY($1::text[]) ORDER BY seq`, [ids]);
		return rows.map(row => heldFromRow(row));
	}

	/**
	 * Every task changed after change number `seq` (0: all), in change order, with the newest number among them.
	 * Numbers grow with every change but may skip, and are taken when a statement runs, not when it commits: a change
	 * with a lower number can commit after a higher one was read. So this suits a look at what changed lately, not a
	 * mirror's catching up (which reads everything again).
	 */
	async changedSince(seq: number, limit = 1000): Promise<{tasks: HeldTask[]; lastSeq: number}> {
		const {rows} = await this.#pool.query<HeldRow>(`SELECT ${HELD_SELECT} FROM tasks WHERE change_seq > $1 ORDER BY change_seq LIMIT $2`, [seq, limit]);
		return {tasks: rows.map(row => heldFromRow(row)), lastSeq: rows.at(-1)?.change_seq ?? seq};
	}

	/**
	 * A mirror's load: the tasks it keeps in memory (every unfinished one, every one changed at `windowStart` or later,
	 * and the newest `keepFinished` finished before it), oldest first, and the id, status, cost and change number of
	 * every other task, read in one snapshot so that each task is in exactly one of the two.
	 */
	async window(windowStart: number, keepFinished: number): Promise<{tasks: HeldTask[]; archived: ArchivedRow[]}> {
		// Finished before the window, all but the newest keepFinished of them.
		const outside = `SELECT seq FROM tasks WHERE status = ANY($1::text[]) AND updated_at < $2 ORDER BY seq DESC OFFSET $3`;
		const values = [TASK_STATUSES.filter(status => isTerminal(status)), windowStart, keepFinished];
		const client = await this.#pool.connect();
		try {
			await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
			const kept = await client.query<HeldRow>(`SELECT ${HELD_SELECT} FROM tasks WHERE seq NOT IN (${outside}) ORDER BY seq`, values);
			const archived = await client.query<ArchivedRow>(
				`SELECT id, status, cost_usd AS "costUsd", change_seq::double precision AS "changeSeq" FROM tasks WHERE seq IN (${outside})`,
				values,
			);
			await client.query('COMMIT');
			return {tasks: kept.rows.map(row => heldFromRow(row)), archived: archived.rows};
		} catch (error) {
			await client.query('ROLLBACK').catch(() => {});
			throw error;
		} finally {
			client.release();
		}
	}

	/** Oldest first unless `limit` is set (then the newest `limit`, still oldest first). */
	async list(filter: TaskFilter = {}): Promise<Task[]> {
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		if (statuses?.length === 0 || limit === 0) return [];
		const where = statuses === undefined ? '' : 'WHERE status = ANY($1)';
		const values: unknown[] = statuses === undefined ? [] : [statuses];
		const sql =
			limit === undefined
				? `SELECT ${TASK_SELECT} FROM tasks ${where} ORDER BY seq`
				: `SELECT * FROM (SELECT seq, ${TASK_SELECT} FROM tasks ${where} ORDER BY seq DESC LIMIT ${limit}) newest ORDER BY seq`;
		const {rows} = await this.#pool.query<TaskRow>(sql, values);
		return rows.map(row => fromRow(row));
	}

	async countByStatus(): Promise<Record<TaskStatus, number>> {
		const counts = Object.fromEntries(TASK_STATUSES.map(status => [status, 0])) as Record<TaskStatus, number>;
		const {rows} = await this.#pool.query<{status: string; count: number}>('SELECT status, count(*)::integer AS count FROM tasks GROUP BY status');
		for (const {status, count} of rows) if (status in counts) counts[status as TaskStatus] = count;
		return counts;
	}

	/** Every task's cost, or with `since` (epoch ms) of those that started then or later: fleet-wide, since every host writes here. */
	async totalCostUsd(since?: number): Promise<number> {
		const {rows} = await this.#pool.query<{total: number | null}>(
			since === undefined ? 'SELECT sum(cost_usd) AS total FROM tasks' : 'SELECT sum(cost_usd) AS total FROM tasks WHERE coalesce(started_at, created_at) >= $1',
			since === undefined ? [] : [since],
		);
		return rows[0]?.total ?? 0;
	}
}

/**
 * The task's row as PostgreSQL can store it. PostgreSQL text and jsonb cannot hold NUL, which worker output (and so a
 * checkpoint's tail) can contain; it becomes U+FFFD, the replacement character, rather than failing the write. In JSON
 * text a NUL is the escape \u0000, replaced only where its backslash is not itself escaped.
 */
export function rowFor(task: Task): TaskRow {
	const row = toRow(task);
	const safe: Record<string, unknown> = {};
	for (const [column, value] of Object.entries(row)) {
		safe[column] = typeof value !== 'string' ? value : JSON_COLUMNS.has(column) ? value.replace(ESCAPED_NUL, '$1\\ufffd') : value.replaceAll('\0', '\ufffd');
	}
	return safe as TaskRow;
}

const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** Inserts a task on a pool or inside a caller's transaction (a schedule firing stores its task with its run). */
export async function insertTask(client: pg.Pool | pg.PoolClient, task: Task, placement: Placement = {}): Promise<number> {
	// The pins are the task's own fields (host, label), mapped to pin_host and pin_label by task-row.ts; `placement` overrides them.
	const row = rowFor({...task, ...(placement.host ? {host: placement.host} : {}), ...(placement.label ? {label: placement.label} : {})});
	const values = COLUMNS.map(column => row[column]);
	try {
		const {rows} = await client.query<{change_seq: number}>(
			`INSERT INTO tasks (${COLUMNS.join(', ')}) VALUES (${values.map((_, index) => `$${index + 1}`).join(', ')}) RETURNING change_seq::double precision AS change_seq`,
			values,
		);
		return rows[0]!.change_seq;
	} catch (error) {
		if ((error as {code?: string}).code === '23505') throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`, {cause: error});
		throw error;
	}
}

/** A task the mirror keeps out of memory: what counts and costs need. */
export type ArchivedRow = {id: string; status: TaskStatus; costUsd: number; changeSeq: number};

type HeldRow = TaskRow & {host_id: string | null; change_seq: number};
const HELD_SELECT = `${TASK_SELECT}, host_id, change_seq::double precision AS change_seq`;

export function heldFromRow(row: HeldRow): HeldTask {
	return {
		task: fromRow(row),
		changeSeq: row.change_seq,
		hostId: row.host_id ?? undefined,
		placement: {...(row.pin_host === null ? {} : {host: row.pin_host}), ...(row.pin_label === null ? {} : {label: row.pin_label})},
	};
}
