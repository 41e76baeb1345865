import type Database from 'better-sqlite3';
import {FleetError} from '../../core/domain/errors.js';

export type Migration = {
	/** The `user_version` the database has once this migration ran; migrations are numbered 1, 2, 3… with no gaps. */
	readonly version: number;
	readonly description: string;
	readonly sql: string;
};

/**
 * Every schema change, oldest first. Never edit one that has shipped: add the next version instead,
 * because databases already at that version will not run it again.
 */
export const MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		description: 'tasks table',
		// Not STRICT: an INTEGER column then keeps an odd value (a fractional fake-clock time) as it came
		// instead of refusing the whole write, and a round trip still returns exactly what was stored.
		// No CHECK on status, priority or permission_mode: SQLite can only change a CHECK by rebuilding
		// the table, so a new status would cost a migration; the store validates them when it reads a row.
		sql: `
			CREATE TABLE tasks (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				id TEXT NOT NULL UNIQUE,
				prompt TEXT NOT NULL,
				cwd TEXT NOT NULL,
				priority TEXT NOT NULL,
				status TEXT NOT NULL,
				permission_mode TEXT NOT NULL,
				model TEXT,
				timeout_ms INTEGER NOT NULL,
				session_id TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				updated_at INTEGER NOT NULL,
				started_at INTEGER,
				ended_at INTEGER,
				attempts INTEGER NOT NULL,
				-- exitCode is absent, null (ended by a signal) or a number; one nullable column cannot tell
				-- the first two apart, so has_exit_code says whether the field exists at all.
				has_exit_code INTEGER NOT NULL DEFAULT 0 CHECK (has_exit_code IN (0, 1)),
				exit_code INTEGER,
				result TEXT,
				failure_reason TEXT,
				cancelled_by TEXT,
				cost_usd REAL NOT NULL,
				tokens_input INTEGER NOT NULL,
				tokens_output INTEGER NOT NULL,
				tokens_cache_read INTEGER NOT NULL,
				tokens_cache_creation INTEGER NOT NULL,
				worker_pid INTEGER,
				worker_start_time INTEGER,
				-- NULL means the field is absent, which the domain distinguishes from false.
				resume_pending INTEGER CHECK (resume_pending IN (0, 1)),
				CHECK (has_exit_code = 1 OR exit_code IS NULL),
				CHECK ((worker_pid IS NULL) = (worker_start_time IS NULL))
			);
			CREATE INDEX tasks_status ON tasks (status);
			CREATE INDEX tasks_status_priority_seq ON tasks (status, priority, seq);
		`,
	},
	{
		version: 2,
		description: 'lineage (retry, resume) and a per-task output cap',
		sql: `
			ALTER TABLE tasks ADD COLUMN parent_task_id TEXT;
			ALTER TABLE tasks ADD COLUMN retry_of TEXT;
			ALTER TABLE tasks ADD COLUMN max_output_bytes INTEGER;
		`,
	},
	{
		version: 3,
		description: 'worker mode (pty or headless)',
		sql: `ALTER TABLE tasks ADD COLUMN mode TEXT NOT NULL DEFAULT 'pty';`,
	},
	{
		version: 4,
		description: 'dependencies and checkpoints',
		sql: `
			ALTER TABLE tasks ADD COLUMN depends_on TEXT; -- JSON array of task ids, NULL when none
			ALTER TABLE tasks ADD COLUMN continue_from TEXT;
			ALTER TABLE tasks ADD COLUMN on_dependency_failure TEXT;
			ALTER TABLE tasks ADD COLUMN checkpoint TEXT; -- JSON, see Checkpoint in core/domain/task.ts
		`,
	},
	{
		version: 5,
		description: 'schedules and their run history',
		// The task template is JSON: it is only ever read whole, and new task fields then need no migration.
		sql: `
			CREATE TABLE schedules (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				id TEXT NOT NULL UNIQUE,
				kind TEXT NOT NULL,
				cron TEXT,
				run_at INTEGER,
				timezone TEXT NOT NULL,
				missed_run_policy TEXT NOT NULL,
				status TEXT NOT NULL,
				task TEXT NOT NULL,
				next_run_at INTEGER,
				last_run_at INTEGER,
				created_at INTEGER NOT NULL,
				updated_at INTEGER NOT NULL,
				end_reason TEXT,
				pipeline_id TEXT,
				pipeline_step INTEGER,
				pipeline_steps INTEGER,
				pipeline_delay_ms INTEGER,
				CHECK ((pipeline_id IS NULL) = (pipeline_step IS NULL))
			);
			CREATE INDEX schedules_status ON schedules (status);
			CREATE INDEX schedules_pipeline ON schedules (pipeline_id, pipeline_step) WHERE pipeline_id IS NOT NULL;
			CREATE TABLE schedule_runs (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				schedule_id TEXT NOT NULL REFERENCES schedules (id),
				scheduled_for INTEGER NOT NULL,
				fired_at INTEGER NOT NULL,
				task_id TEXT,
				outcome TEXT NOT NULL,
				ended_at INTEGER,
				missed_count INTEGER,
				detail TEXT
			);
			CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id);
			CREATE INDEX schedule_runs_started ON schedule_runs (id) WHERE outcome = 'started';
		`,
	},
	{
		version: 6,
		description: 'worker role',
		sql: `ALTER TABLE tasks ADD COLUMN role TEXT;`,
	},
	{
		version: 7,
		description: 'git worktree isolation',
		sql: `
			ALTER TABLE tasks ADD COLUMN isolation TEXT;
			ALTER TABLE tasks ADD COLUMN merge_strategy TEXT;
			ALTER TABLE tasks ADD COLUMN worktree TEXT; -- JSON Worktree
			ALTER TABLE tasks ADD COLUMN merge TEXT; -- JSON MergeOutcome
		`,
	},
	{
		version: 8,
		description: 'tasks parked at a usage limit',
		sql: `ALTER TABLE tasks ADD COLUMN parked_until INTEGER;`,
	},
	{
		version: 9,
		description: 'per-task budgets',
		sql: `ALTER TABLE tasks ADD COLUMN max_budget_usd REAL;`,
	},
	{
		version: 10,
		description: "per-task permission rules and each task's answered questions",
		sql: `
			ALTER TABLE tasks ADD COLUMN allow_rules TEXT; -- JSON string[]
			ALTER TABLE tasks ADD COLUMN deny_rules TEXT; -- JSON string[]
			ALTER TABLE tasks ADD COLUMN answers TEXT; -- JSON AnsweredQuestion[]
		`,
	},
	{
		version: 11,
		description: "an isolated task's base branch and verify command",
		sql: `
			ALTER TABLE tasks ADD COLUMN base_branch TEXT;
			ALTER TABLE tasks ADD COLUMN verify_command TEXT;
		`,
	},
	{
		version: 12,
		description: 'the workflow a task is a step of',
		sql: `ALTER TABLE tasks ADD COLUMN workflow TEXT; -- JSON WorkflowMembership {id, name, step}`,
	},
	{
		version: 13,
		description: 'where a task may run: pinned to one host or to hosts with a label',
		sql: `
			ALTER TABLE tasks ADD COLUMN pin_host TEXT;
			ALTER TABLE tasks ADD COLUMN pin_label TEXT;
		`,
	},
];

/** The schema version this build of ccfleet writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** The database was written by a newer ccfleet whose schema this one does not know. */
export class DatabaseTooNewError extends FleetError {
	constructor(
		readonly path: string,
		readonly found: number,
		readonly known: number,
	) {
		super(
			`The task database at ${path} has schema version ${found}, but this ccfleet knows only up to version ${known}: ` +
				'a newer ccfleet wrote it. Upgrade ccfleet (npm install -g ccfleet@latest) to open it; ' +
				'an older ccfleet must not touch it, or it could lose data.',
		);
	}
}

export function schemaVersion(db: Database.Database): number {
	return db.pragma('user_version', {simple: true}) as number;
}

/**
 * Brings the database to the newest schema, one migration per transaction, and returns the version it ends at.
 * Throws DatabaseTooNewError, changing nothing, if the database is newer than `migrations` knows.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
	for (const [index, migration] of migrations.entries()) {
		if (migration.version !== index + 1) {
			throw new Error(`Migration #${index + 1} ("${migration.description}") has version ${migration.version}; versions must be 1, 2, 3… in order.`);
		}
	}

	const latest = migrations.length;
	const current = schemaVersion(db);
	if (current > latest) throw new DatabaseTooNewError(db.name, current, latest);

	for (const migration of migrations.slice(current)) {
		// IMMEDIATE takes the write lock before reading the version, so two ccfleet processes starting
		// together cannot both run the same migration; the loser finds the work done and skips it.
		db.transaction(() => {
			if (schemaVersion(db) >= migration.version) return;
			db.exec(migration.sql);
			db.pragma(`user_version = ${migration.version}`);
		}).immediate();
	}

	return schemaVersion(db);
}
