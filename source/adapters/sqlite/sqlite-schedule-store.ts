import Database from 'better-sqlite3';
import {FleetError} from '../../core/domain/errors.js';
import {ScheduleNotFoundError, type NewScheduleRun, type Schedule, type ScheduleRun} from '../../core/domain/schedule.js';
import type {ScheduleFilter, ScheduleStore} from '../../core/ports/schedule-store.js';
import {openDatabase} from './open-database.js';
import {RUN_COLUMNS, SCHEDULE_COLUMNS, runFromRow, runToRow, scheduleFromRow, scheduleToRow, type RunRow, type ScheduleRow} from './schedule-row.js';
import {storeError} from './sqlite-errors.js';

const SELECT_SCHEDULE = `SELECT ${SCHEDULE_COLUMNS.join(', ')} FROM schedules`;
const SELECT_RUN = `SELECT id, ${RUN_COLUMNS.join(', ')} FROM schedule_runs`;

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
		this.#insertRun = db.prepare(`INSERT INTO schedule_runs (${RUN_COLUMNS.join(', ')}) VALUES (${RUN_COLUMNS.map(column => `@${column}`).join(', ')})`);
		this.#updateRun = db.prepare(`UPDATE schedule_runs SET ${RUN_COLUMNS.map(column => `${column} = @${column}`).join(', ')} WHERE id = @id`);
		this.#runs = db.prepare(`SELECT * FROM (${SELECT_RUN} WHERE schedule_id = @schedule_id ORDER BY id DESC LIMIT @limit) ORDER BY id`);
		this.#pending = db.prepare(`${SELECT_RUN} WHERE outcome = 'started' ORDER BY id`);
		this.#addRun = db.transaction((run: NewScheduleRun, schedule?: Schedule): ScheduleRun => {
			if (this.#get.get(run.scheduleId) === undefined) throw new ScheduleNotFoundError(run.scheduleId);
			const {lastInsertRowid} = this.#insertRun.run(runToRow(run));
			if (schedule) this.#updateSchedule(schedule);
			return {id: Number(lastInsertRowid), ...copy(run)};
		});
	}

	insert(schedule: Schedule): void {
		this.#guard(() => {
			try {
				this.#insert.run(scheduleToRow(schedule));
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
		if (this.#update.run(scheduleToRow(schedule)).changes === 0) throw new ScheduleNotFoundError(schedule.id);
	}

	get(id: string): Schedule | undefined {
		return this.#guard(() => {
			const row = this.#get.get(id);
			return row && scheduleFromRow(row);
		});
	}

	list(filter: ScheduleFilter = {}): Schedule[] {
		return this.#guard(() => {
			if (filter.statuses?.length === 0) return [];
			return this.#list
				.all({statuses: filter.statuses ? JSON.stringify(filter.statuses) : null, pipeline_id: filter.pipelineId ?? null})
				.map(row => scheduleFromRow(row));
		});
	}

	addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun {
		return this.#guard(() => this.#addRun(run, schedule));
	}

	updateRun(run: ScheduleRun): void {
		this.#guard(() => {
			if (this.#updateRun.run({id: run.id, ...runToRow(run)}).changes === 0) {
				throw new FleetError(`No run ${run.id} of schedule ${run.scheduleId} is stored; only a run that addRun returned can be updated.`);
			}
		});
	}

	runs(scheduleId: string, limit?: number): ScheduleRun[] {
		return this.#guard(() => {
			if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`runs() limit must be a whole number ≥ 0, got ${String(limit)}.`);
			// SQLite reads LIMIT -1 as no limit.
			return this.#runs.all({schedule_id: scheduleId, limit: limit ?? -1}).map(row => runFromRow(row));
		});
	}

	pendingRuns(): ScheduleRun[] {
		return this.#guard(() => this.#pending.all().map(row => runFromRow(row)));
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
