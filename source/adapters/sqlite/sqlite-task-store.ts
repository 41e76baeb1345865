import Database from 'better-sqlite3';
import {FleetError, TaskNotFoundError} from '../../core/domain/errors.js';
import {
	PERMISSION_MODES,
	PRIORITIES,
	TASK_STATUSES,
	WORKER_MODES,
	ISOLATIONS,
	type Isolation,
	DEPENDENCY_FAILURE_POLICIES,
	type Checkpoint,
	type DependencyFailurePolicy,
	type WorkerMode,
	type PermissionMode,
	type Priority,
	type Task,
	type TaskStatus,
} from '../../core/domain/task.js';
import {type TaskFilter, type TaskStore} from '../../core/ports/task-store.js';
import {ROLE_NAMES, type Role} from '../../core/domain/roles.js';
import {MERGE_STRATEGIES, type MergeOutcome, type MergeStrategy, type Worktree} from '../../core/ports/workspace.js';
import {isSqliteError, openDatabase} from './open-database.js';


type TaskRow = {
	id: string;
	prompt: string;
	cwd: string;
	priority: string;
	status: string;
	permission_mode: string;
	model: string | null;
	timeout_ms: number;
	session_id: string;
	created_at: number;
	updated_at: number;
	started_at: number | null;
	ended_at: number | null;
	attempts: number;
	has_exit_code: number;
	exit_code: number | null;
	result: string | null;
	failure_reason: string | null;
	cancelled_by: string | null;
	cost_usd: number;
	tokens_input: number;
	tokens_output: number;
	tokens_cache_read: number;
	tokens_cache_creation: number;
	worker_pid: number | null;
	worker_start_time: number | null;
	resume_pending: number | null;
	parent_task_id: string | null;
	retry_of: string | null;
	max_output_bytes: number | null;
	mode: string;
	depends_on: string | null;
	continue_from: string | null;
	on_dependency_failure: string | null;
	checkpoint: string | null;
	role: string | null;
	isolation: string | null;
	merge_strategy: string | null;
	worktree: string | null;
	merge: string | null;
};

const COLUMNS = [
	'id',
	'prompt',
	'cwd',
	'priority',
	'status',
	'permission_mode',
	'model',
	'timeout_ms',
	'session_id',
	'created_at',
	'updated_at',
	'started_at',
	'ended_at',
	'attempts',
	'has_exit_code',
	'exit_code',
	'result',
	'failure_reason',
	'cancelled_by',
	'cost_usd',
	'tokens_input',
	'tokens_output',
	'tokens_cache_read',
	'tokens_cache_creation',
	'worker_pid',
	'worker_start_time',
	'resume_pending',
	'parent_task_id',
	'retry_of',
	'max_output_bytes',
	'mode',
	'depends_on',
	'continue_from',
	'on_dependency_failure',
	'checkpoint',
	'role',
	'isolation',
	'merge_strategy',
	'worktree',
	'merge',
] as const satisfies ReadonlyArray<keyof TaskRow>;

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
		this.#listNewestByStatus = db.prepare(
			`SELECT * FROM (SELECT seq, ${SELECT_COLUMNS} FROM tasks WHERE ${STATUS_FILTER} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`,
		);
		this.#countByStatus = db.prepare('SELECT status, COUNT(*) AS count FROM tasks GROUP BY status');
		this.#totalCost = db.prepare('SELECT SUM(cost_usd) AS total FROM tasks');
	}

	totalCostUsd(): number {
		this.#assertOpen();
		return this.#totalCost.get()?.total ?? 0;
	}

	countByStatus(): Record<TaskStatus, number> {
		this.#assertOpen();
		const counts = Object.fromEntries(TASK_STATUSES.map(status => [status, 0])) as Record<TaskStatus, number>;
		for (const {status, count} of this.#countByStatus.all()) {
			if (status in counts) counts[status as TaskStatus] = count;
		}
		return counts;
	}

	insert(task: Task): void {
		this.#assertOpen();
		try {
			this.#insert.run(toRow(task));
		} catch (error) {
			if (isSqliteError(error) && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
				throw new FleetError(`A task with id "${task.id}" already exists; a new task needs a fresh id.`, {cause: error});
			}

			throw error;
		}
	}

	update(task: Task): void {
		this.#assertOpen();
		const {changes} = this.#update.run(toRow(task));
		if (changes === 0) throw new TaskNotFoundError(task.id);
	}

	get(id: string): Task | undefined {
		this.#assertOpen();
		const row = this.#get.get(id);
		return row ? fromRow(row) : undefined;
	}

	list(filter: TaskFilter = {}): Task[] {
		this.#assertOpen();
		const {statuses, limit} = filter;
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
			throw new TypeError(`TaskFilter.limit must be a whole number ≥ 0, got ${String(limit)}.`);
		}

		if (statuses?.length === 0 || limit === 0) return [];
		const rows =
			statuses === undefined
				? limit === undefined
					? this.#listAll.all()
					: this.#listNewest.all({limit})
				: limit === undefined
					? this.#listByStatus.all({statuses: JSON.stringify(statuses)})
					: this.#listNewestByStatus.all({statuses: JSON.stringify(statuses), limit});
		return rows.map(row => fromRow(row));
	}

	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#db.close();
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError(`The task store at ${this.path} is closed; open a new SqliteTaskStore to use it again.`);
	}
}

function toRow(task: Task): TaskRow {
	return {
		id: task.id,
		prompt: task.prompt,
		cwd: task.cwd,
		priority: task.priority,
		status: task.status,
		permission_mode: task.permissionMode,
		model: task.model ?? null,
		timeout_ms: task.timeoutMs,
		session_id: task.sessionId,
		created_at: task.createdAt,
		updated_at: task.updatedAt,
		started_at: task.startedAt ?? null,
		ended_at: task.endedAt ?? null,
		attempts: task.attempts,
		has_exit_code: task.exitCode === undefined ? 0 : 1,
		exit_code: task.exitCode ?? null,
		result: task.result ?? null,
		failure_reason: task.failureReason ?? null,
		cancelled_by: task.cancelledBy ?? null,
		cost_usd: task.costUsd,
		tokens_input: task.tokens.input,
		tokens_output: task.tokens.output,
		tokens_cache_read: task.tokens.cacheRead,
		tokens_cache_creation: task.tokens.cacheCreation,
		worker_pid: task.worker?.pid ?? null,
		worker_start_time: task.worker?.startTime ?? null,
		resume_pending: task.resumePending === undefined ? null : Number(task.resumePending),
		parent_task_id: task.parentTaskId ?? null,
		retry_of: task.retryOf ?? null,
		max_output_bytes: task.maxOutputBytes ?? null,
		mode: task.mode,
		depends_on: task.dependsOn ? JSON.stringify(task.dependsOn) : null,
		continue_from: task.continueFrom ?? null,
		on_dependency_failure: task.onDependencyFailure ?? null,
		checkpoint: task.checkpoint ? JSON.stringify(task.checkpoint) : null,
		role: task.role ?? null,
		isolation: task.isolation ?? null,
		merge_strategy: task.mergeStrategy ?? null,
		worktree: task.worktree ? JSON.stringify(task.worktree) : null,
		merge: task.merge ? JSON.stringify(task.merge) : null,
	};
}

/** Optional fields are left out when NULL, so a stored task reads back deep-equal to what was written. */
function fromRow(row: TaskRow): Task {
	return {
		id: row.id,
		prompt: row.prompt,
		cwd: row.cwd,
		priority: checked(row, 'priority', PRIORITIES),
		status: checked(row, 'status', TASK_STATUSES),
		permissionMode: checked(row, 'permission_mode', PERMISSION_MODES),
		mode: checked(row, 'mode', WORKER_MODES),
		...(row.model === null ? {} : {model: row.model}),
		timeoutMs: row.timeout_ms,
		sessionId: row.session_id,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		...(row.started_at === null ? {} : {startedAt: row.started_at}),
		...(row.ended_at === null ? {} : {endedAt: row.ended_at}),
		attempts: row.attempts,
		...(row.has_exit_code === 1 ? {exitCode: row.exit_code} : {}),
		...(row.result === null ? {} : {result: row.result}),
		...(row.failure_reason === null ? {} : {failureReason: row.failure_reason}),
		...(row.cancelled_by === null ? {} : {cancelledBy: row.cancelled_by}),
		costUsd: row.cost_usd,
		tokens: {
			input: row.tokens_input,
			output: row.tokens_output,
			cacheRead: row.tokens_cache_read,
			cacheCreation: row.tokens_cache_creation,
		},
		...(row.worker_pid === null || row.worker_start_time === null ? {} : {worker: {pid: row.worker_pid, startTime: row.worker_start_time}}),
		...(row.resume_pending === null ? {} : {resumePending: row.resume_pending === 1}),
		...(row.parent_task_id === null ? {} : {parentTaskId: row.parent_task_id}),
		...(row.retry_of === null ? {} : {retryOf: row.retry_of}),
		...(row.max_output_bytes === null ? {} : {maxOutputBytes: row.max_output_bytes}),
		...(row.depends_on === null ? {} : {dependsOn: JSON.parse(row.depends_on) as string[]}),
		...(row.continue_from === null ? {} : {continueFrom: row.continue_from}),
		...(row.on_dependency_failure === null ? {} : {onDependencyFailure: checked(row, 'on_dependency_failure', DEPENDENCY_FAILURE_POLICIES)}),
		...(row.checkpoint === null ? {} : {checkpoint: JSON.parse(row.checkpoint) as Checkpoint}),
		...(row.role === null ? {} : {role: checked(row, 'role', ROLE_NAMES)}),
		...(row.isolation === null ? {} : {isolation: checked(row, 'isolation', ISOLATIONS)}),
		...(row.merge_strategy === null ? {} : {mergeStrategy: checked(row, 'merge_strategy', MERGE_STRATEGIES)}),
		...(row.worktree === null ? {} : {worktree: JSON.parse(row.worktree) as Worktree}),
		...(row.merge === null ? {} : {merge: JSON.parse(row.merge) as MergeOutcome}),
	};
}

function checked<T extends Priority | TaskStatus | PermissionMode | WorkerMode | DependencyFailurePolicy | Role | Isolation | MergeStrategy>(
	row: TaskRow,
	column: 'priority' | 'status' | 'permission_mode' | 'mode' | 'on_dependency_failure' | 'role' | 'isolation' | 'merge_strategy',
	allowed: readonly T[],
): T {
	const value = row[column];
	if (value !== null && (allowed as readonly string[]).includes(value)) return value as T;
	throw new FleetError(
		`Task ${row.id} has ${column} "${value}" in the database, which this ccfleet does not know (expected one of ${allowed.join(', ')}). ` +
			'Upgrade ccfleet, or fix the row by hand.',
	);
}


