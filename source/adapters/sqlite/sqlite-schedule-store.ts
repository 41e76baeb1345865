import Database from 'better-sqlite3';
import {FleetError} from '../../core/domain/errors.js';
import {
	MISSED_RUN_POLICIES,
	RUN_OUTCOMES,
	SCHEDULE_KINDS,
	SCHEDULE_STATUSES,
	ScheduleNotFoundError,
	type NewScheduleRun,
	type Schedule,
	type ScheduleRun,
	type ScheduleTaskTemplate,
} from '../../core/domain/schedule.js';
import type {ScheduleFilter, ScheduleStore} from '../../core/ports/schedule-store.js';
import {openDatabase} from './open-database.js';
import {storeError} from './sqlite-errors.js';

type ScheduleRow = {
	id: string;
	kind: string;
	cron: string | null;
	run_at: number | null;
	timezone: string;
	missed_run_policy: string;
	status: string;
	task: string;
	next_run_at: number | null;
	last_run_at: number | null;
	created_at: number;
	updated_at: number;
	end_reason: string | null;
	pipeline_id: string | null;
	pipeline_step: number | null;
	pipeline_steps: number | null;
	pipeline_delay_ms: number | null;
};

type RunRow = {
	id: number;
	schedule_id: string;
	scheduled_for: number;
	fired_at: number;
	task_id: string | null;
	outcome: string;
	ended_at: number | null;
	missed_count: number | null;
	detail: string | null;
};

const SCHEDULE_COLUMNS = [
	'id',
	'kind',
	'cron',
	'run_at',
	'timezone',
	'missed_run_policy',
	'status',
	'task',
	'next_run_at',
	'last_run_at',
	'created_at',
	'updated_at',
	'end_reason',
	'pipeline_id',
	'pipeline_step',
	'pipeline_steps',
	'pipeline_delay_ms',
] as const satisfies ReadonlyArray<keyof ScheduleRow>;

const RUN_COLUMNS = ['id', 'schedule_id', 'scheduled_for', 'fired_at', 'task_id', 'outcome', 'ended_at', 'missed_count', 'detail'] as const satisfies ReadonlyArray<
	keyof RunRow
>;

const SELECT_SCHEDULE = `SELECT ${SCHEDULE_COLUMNS.join(', ')} FROM schedules`;
const SELECT_RUN = `SELECT ${RUN_COLUMNS.join(', ')} FROM schedule_runs`;

/**
 * ScheduleStore on the same SQLite file as the tasks, through a connection of its own (WAL lets both write in
 * turn; busy_timeout makes one wait for the other). The migrations it runs are the shared ones, so whichever
 * store opens the file first brings it to the latest schema.
 */
export class SqliteScheduleStore implements ScheduleStore {
	readonly #db: Database.Database;
	readonly #insert: Database.Statement<ScheduleRow>;
	readonly #update: Database.Statement<ScheduleRow>;
	readonly #get: Database.Statement<[string], ScheduleRow>;
	readonly #list: Database.Statement<{statuses: string | null; pipeline_id: string | null}, ScheduleRow>;
	readonly #insertRun: Database.Statement<Omit<RunRow, 'id'>>;
	readonly #updateRun: Database.Statement<RunRow>;
	readonly #runs: Database.Statement<{schedule_id: string; limit: number}, RunRow>;
	readonly #pending: Database.Statement<[], RunRow>;
	readonly #addRun: (run: NewScheduleRun, schedule?: Schedule) => ScheduleRun;
	#isClosed = false;

	constructor(readonly path: string) {
		const db = openDatabase(path);
		this.#db = db;
		this.#insert = db.prepare(`INSERT INTO schedules (${SCHEDULE_COLUMNS.join(', ')}) VALUES (${SCHEDULE_COLUMNS.map(column => `@${column}`).join(', ')})`);
		this.#update = db.prepare(
			`UPDATE schedules SET ${SCHEDULE_COLUMNS.filter(column => column !== 'id')
				.map(column => `${column} = @${column}`)
				.join(', ')} WHERE id = @id`,
		);
		this.#get = db.prepare(`${SELECT_SCHEDULE} WHERE id = ?`);
		this.#list = db.prepare(
			`${SELECT_SCHEDULE} WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))` +
				' AND (@pipeline_id IS NULL OR pipeline_id = @pipeline_id) ORDER BY seq',
		);
		const runColumns = RUN_COLUMNS.filter(column => column !== 'id');
		this.#insertRun = db.prepare(`INSERT INTO schedule_runs (${runColumns.join(', ')}) VALUES (${runColumns.map(column => `@${column}`).join(', ')})`);
		this.#updateRun = db.prepare(`UPDATE schedule_runs SET ${runColumns.map(column => `${column} = @${column}`).join(', ')} WHERE id = @id`);
		this.#runs = db.prepare(`SELECT * FROM (${SELECT_RUN} WHERE schedule_id = @schedule_id ORDER BY id DESC LIMIT @limit) ORDER BY id`);
		this.#pending = db.prepare(`${SELECT_RUN} WHERE outcome = 'started' ORDER BY id`);
		this.#addRun = db.transaction((run: NewScheduleRun, schedule?: Schedule): ScheduleRun => {
			if (this.#get.get(run.scheduleId) === undefined) throw new ScheduleNotFoundError(run.scheduleId);
			const {lastInsertRowid} = this.#insertRun.run(toRunRow(run));
			if (schedule) this.#updateSchedule(schedule);
			return {id: Number(lastInsertRowid), ...copy(run)};
		});
	}

	insert(schedule: Schedule): void {
		this.#guard(() => {
			try {
				this.#insert.run(toRow(schedule));
			} catch (error) {
				if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
					throw new FleetError(`A schedule with id "${schedule.id}" already exists; a new schedule needs a fresh id.`, {cause: error});
				}
				throw error;
			}
		});
	}

	update(schedule: Schedule): void {
		this.#guard(() => this.#updateSchedule(schedule));
	}

	#updateSchedule(schedule: Schedule): void {
		if (this.#update.run(toRow(schedule)).changes === 0) throw new ScheduleNotFoundError(schedule.id);
	}

	get(id: string): Schedule | undefined {
		return this.#guard(() => {
			const row = this.#get.get(id);
			return row && fromRow(row);
		});
	}

	list(filter: ScheduleFilter = {}): Schedule[] {
		return this.#guard(() => {
			if (filter.statuses?.length === 0) return [];
			return this.#list.all({statuses: filter.statuses ? JSON.stringify(filter.statuses) : null, pipeline_id: filter.pipelineId ?? null}).map(row => fromRow(row));
		});
	}

	addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun {
		return this.#guard(() => this.#addRun(run, schedule));
	}

	updateRun(run: ScheduleRun): void {
		this.#guard(() => {
			if (this.#updateRun.run({id: run.id, ...toRunRow(run)}).changes === 0) {
				throw new FleetError(`No run ${run.id} of schedule ${run.scheduleId} is stored; only a run that addRun returned can be updated.`);
			}
		});
	}

	runs(scheduleId: string, limit?: number): ScheduleRun[] {
		return this.#guard(() => {
			if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`runs() limit must be a whole number ≥ 0, got ${String(limit)}.`);
			// SQLite reads LIMIT -1 as no limit.
			return this.#runs.all({schedule_id: scheduleId, limit: limit ?? -1}).map(row => fromRunRow(row));
		});
	}

	pendingRuns(): ScheduleRun[] {
		return this.#guard(() => this.#pending.all().map(row => fromRunRow(row)));
	}

	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#db.close();
	}

	/** Runs one statement on the open store; SQLite's failures come out as errors that say what to do. */
	#guard<T>(statement: () => T): T {
		if (this.#isClosed) throw new FleetError(`The schedule store at ${this.path} is closed; open a new SqliteScheduleStore to use it again.`);
		try {
			return statement();
		} catch (error) {
			throw storeError(this.path, error);
		}
	}
}

/** A copy without keys whose value is undefined, as it reads back from a row. */
function copy<T extends object>(value: T): T {
	const clone = structuredClone(value);
	for (const key of Object.keys(clone) as Array<keyof T>) {
		if (clone[key] === undefined) delete clone[key];
	}
	return clone;
}

function toRow(schedule: Schedule): ScheduleRow {
	return {
		id: schedule.id,
		kind: schedule.kind,
		cron: schedule.cron ?? null,
		run_at: schedule.runAt ?? null,
		timezone: schedule.timezone,
		missed_run_policy: schedule.missedRunPolicy,
		status: schedule.status,
		task: JSON.stringify(schedule.task),
		next_run_at: schedule.nextRunAt ?? null,
		last_run_at: schedule.lastRunAt ?? null,
		created_at: schedule.createdAt,
		updated_at: schedule.updatedAt,
		end_reason: schedule.endReason ?? null,
		pipeline_id: schedule.pipeline?.pipelineId ?? null,
		pipeline_step: schedule.pipeline?.step ?? null,
		pipeline_steps: schedule.pipeline?.steps ?? null,
		pipeline_delay_ms: schedule.pipeline?.delayMs ?? null,
	};
}

/** Optional fields are left out when NULL, so a stored schedule reads back deep-equal to what was written. */
function fromRow(row: ScheduleRow): Schedule {
	return {
		id: row.id,
		kind: checked(row.id, 'kind', row.kind, SCHEDULE_KINDS),
		...(row.cron === null ? {} : {cron: row.cron}),
		...(row.run_at === null ? {} : {runAt: row.run_at}),
		timezone: row.timezone,
		missedRunPolicy: checked(row.id, 'missed_run_policy', row.missed_run_policy, MISSED_RUN_POLICIES),
		status: checked(row.id, 'status', row.status, SCHEDULE_STATUSES),
		task: JSON.parse(row.task) as ScheduleTaskTemplate,
		...(row.next_run_at === null ? {} : {nextRunAt: row.next_run_at}),
		...(row.last_run_at === null ? {} : {lastRunAt: row.last_run_at}),
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		...(row.end_reason === null ? {} : {endReason: row.end_reason}),
		...(row.pipeline_id === null
			? {}
			: {pipeline: {pipelineId: row.pipeline_id, step: row.pipeline_step ?? 0, steps: row.pipeline_steps ?? 0, delayMs: row.pipeline_delay_ms ?? 0}}),
	};
}

function toRunRow(run: NewScheduleRun): Omit<RunRow, 'id'> {
	return {
		schedule_id: run.scheduleId,
		scheduled_for: run.scheduledFor,
		fired_at: run.firedAt,
		task_id: run.taskId ?? null,
		outcome: run.outcome,
		ended_at: run.endedAt ?? null,
		missed_count: run.missedCount ?? null,
		detail: run.detail ?? null,
	};
}

function fromRunRow(row: RunRow): ScheduleRun {
	return {
		id: row.id,
		scheduleId: row.schedule_id,
		scheduledFor: row.scheduled_for,
		firedAt: row.fired_at,
		...(row.task_id === null ? {} : {taskId: row.task_id}),
		outcome: checked(`${row.schedule_id} (run ${row.id})`, 'outcome', row.outcome, RUN_OUTCOMES),
		...(row.ended_at === null ? {} : {endedAt: row.ended_at}),
		...(row.missed_count === null ? {} : {missedCount: row.missed_count}),
		...(row.detail === null ? {} : {detail: row.detail}),
	};
}

function checked<T extends string>(id: string, column: string, value: string, allowed: readonly T[]): T {
	if ((allowed as readonly string[]).includes(value)) return value as T;
	throw new FleetError(
		`Schedule ${id} has ${column} "${value}" in the database, which this ccfleet does not know (expected one of ${allowed.join(', ')}). Upgrade ccfleet, or fix the row by hand.`,
	);
}
