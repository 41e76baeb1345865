import type pg from 'pg';
import {FleetError} from '../../core/domain/errors.js';
import {ScheduleNotFoundError, type NewScheduleRun, type Schedule, type ScheduleRun} from '../../core/domain/schedule.js';
import type {FiringClaim} from '../../core/ports/schedule-firing.js';
import type {ScheduleFilter} from '../../core/ports/schedule-store.js';
import {RUN_COLUMNS, SCHEDULE_COLUMNS, runFromRow, runToRow, scheduleFromRow, scheduleToRow, type RunRow, type ScheduleRow} from '../sqlite/schedule-row.js';

const params = (count: number, from = 1) => Array.from({length: count}, (_, index) => `$${index + from}`).join(', ');
/** Rows in the shape sqlite/schedule-row.ts maps: the jsonb task template as its text (pg would hand it over parsed). */
const SELECT_SCHEDULE = `SELECT ${SCHEDULE_COLUMNS.map(column => (column === 'task' ? 'task::text AS task' : column)).join(', ')} FROM schedules`;
/** Run ids are bigserial, which pg returns as strings; as double precision they come back as numbers, exact to 2^53. */
const RUN_SELECT = `id::double precision AS id, ${RUN_COLUMNS.join(', ')}`;
const UPDATE_SCHEDULE = `UPDATE schedules SET ${SCHEDULE_COLUMNS.slice(1)
	.map((column, index) => `${column} = $${index + 2}`)
	.join(', ')} WHERE id = $1`;
const INSERT_RUN = `INSERT INTO schedule_runs (${RUN_COLUMNS.join(', ')}, fired_by) VALUES (${params(RUN_COLUMNS.length + 1)}) RETURNING ${RUN_SELECT}`;
const INSERT_RUN_WITH_ID = `INSERT INTO schedule_runs (${RUN_COLUMNS.join(', ')}, fired_by, id) VALUES (${params(RUN_COLUMNS.length + 2)}) RETURNING ${RUN_SELECT}`;

/**
 * The ScheduleStore port's operations on the shared PostgreSQL, asynchronous, plus claimFiring: how a schedule's due
 * time fires exactly once across hosts even when two of them believe they lead (one's session died and it does not know yet).
 */
export class PostgresScheduleStore {
	readonly #pool: pg.Pool;
	readonly #hostId: string;

	/** `hostId`: recorded with every run this host fires. */
	constructor(pool: pg.Pool, hostId: string) {
		this.#pool = pool;
		this.#hostId = hostId;
	}

	async insert(schedule: Schedule): Promise<void> {
		try {
			await this.#pool.query(`INSERT INTO schedules (${SCHEDULE_COLUMNS.join(', ')}) VALUES (${params(SCHEDULE_COLUMNS.length)})`, scheduleValues(schedule));
		} catch (error) {
			if ((error as {code?: string}).code === '23505')
				throw new FleetError(`A schedule with id "${schedule.id}" already exists; a new schedule needs a fresh id.`, {cause: error});
			throw error;
		}
	}

	async update(schedule: Schedule): Promise<void> {
		const {rowCount} = await this.#pool.query(UPDATE_SCHEDULE, scheduleValues(schedule));
		if (rowCount === 0) throw new ScheduleNotFoundError(schedule.id);
	}

	async get(id: string): Promise<Schedule | undefined> {
		const {rows} = await this.#pool.query<ScheduleRow>(`${SELECT_SCHEDULE} WHERE id = $1`, [id]);
		return rows[0] && scheduleFromRow(rows[0]);
	}

	/** Oldest first. */
	async list(filter: ScheduleFilter = {}): Promise<Schedule[]> {
		if (filter.statuses?.length === 0) return [];
		const {rows} = await this.#pool.query<ScheduleRow>(
			`${SELECT_SCHEDULE} WHERE ($1::text[] IS NULL OR status = ANY($1)) AND ($2::text IS NULL OR pipeline_id = $2) ORDER BY seq`,
			[filter.statuses ?? null, filter.pipelineId ?? null],
		);
		return rows.map(row => scheduleFromRow(row));
	}

	/**
	 * Records a run and, in the same transaction, the schedule's new state when given. With `id` (one reserveRunIds
	 * handed out), the run gets that id; otherwise the next of the sequence.
	 */
	async addRun(run: NewScheduleRun, schedule?: Schedule, id?: number): Promise<ScheduleRun> {
		return this.#transaction(async client => {
			const recorded = await this.#insertRun(client, run, id);
			if (schedule) {
				const {rowCount} = await client.query(UPDATE_SCHEDULE, scheduleValues(schedule));
				if (rowCount === 0) throw new ScheduleNotFoundError(schedule.id);
			}
			return recorded;
		});
	}

	async updateRun(run: ScheduleRun): Promise<void> {
		const sets = RUN_COLUMNS.map((column, index) => `${column} = $${index + 2}`).join(', ');
		const {rowCount} = await this.#pool.query(`UPDATE schedule_runs SET ${sets} WHERE id = $1`, [run.id, ...runValues(run)]);
		if (rowCount === 0) throw new FleetError(`No run ${run.id} of schedule ${run.scheduleId} is stored; only a run that addRun returned can be updated.`);
	}

	/** The newest `limit` runs of a schedule (all when absent), oldest first. */
	async runs(scheduleId: string, limit?: number): Promise<ScheduleRun[]> {
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`runs() limit must be a whole number ≥ 0, got ${String(limit)}.`);
		const {rows} = await this.#pool.query<RunRow>(
			`SELECT * FROM (SELECT ${RUN_SELECT} FROM schedule_runs WHERE schedule_id = $1 ORDER BY id DESC LIMIT $2) newest ORDER BY id`,
			[scheduleId, limit ?? null],
		);
		return rows.map(row => runFromRow(row));
	}

	async run(id: number): Promise<ScheduleRun | undefined> {
		const {rows} = await this.#pool.query<RunRow>(`SELECT ${RUN_SELECT} FROM schedule_runs WHERE id = $1`, [id]);
		return rows[0] && runFromRow(rows[0]);
	}

	/** Every run, oldest first: a mirror's first load. */
	async allRuns(): Promise<ScheduleRun[]> {
		const {rows} = await this.#pool.query<RunRow>(`SELECT ${RUN_SELECT} FROM schedule_runs ORDER BY id`);
		return rows.map(row => runFromRow(row));
	}

	/**
	 * Takes `count` run ids from the fleet-wide sequence for this host to hand out itself, in increasing order: a
	 * mirror must return a run's id at once, before its write reaches the database.
	 */
	async reserveRunIds(count: number): Promise<number[]> {
		const {rows} = await this.#pool.query<{id: number}>(
			"SELECT nextval(pg_get_serial_sequence('schedule_runs', 'id'))::double precision AS id FROM generate_series(1, $1) ORDER BY 1",
			[count],
		);
		return rows.map(row => row.id);
	}

	async pendingRuns(): Promise<ScheduleRun[]> {
		const {rows} = await this.#pool.query<RunRow>(`SELECT ${RUN_SELECT} FROM schedule_runs WHERE outcome = 'started' ORDER BY id`);
		return rows.map(row => runFromRow(row));
	}

	/**
	 * Claims one due time of a schedule for this host: true for exactly one host of the fleet, however many try at once
	 * (two may believe they lead while one's session died and it does not know yet). Whoever leads only decides who
	 * tries; this decides who fires. A loser learns who won and when, should that host never record its run.
	 */
	async claimFiring(scheduleId: string, dueAt: number): Promise<FiringClaim> {
		try {
			const inserted = await this.#pool.query('INSERT INTO schedule_firings (schedule_id, due_at, host_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
				scheduleId,
				dueAt,
				this.#hostId,
			]);
			if (inserted.rowCount === 1) return {won: true};
			const {rows} = await this.#pool.query<{host_id: string; claimed_at: number}>(
				'SELECT host_id, extract(epoch FROM claimed_at)::double precision * 1000 AS claimed_at FROM schedule_firings WHERE schedule_id = $1 AND due_at = $2',
				[scheduleId, dueAt],
			);
			const row = rows[0];
			// This host's own earlier claim (it stopped, or its handling failed, before the schedule moved on): still its to fire.
			if (!row || row.host_id === this.#hostId) return {won: true};
			return {won: false, by: row.host_id, at: row.claimed_at};
		} catch (error) {
			if ((error as {code?: string}).code === '23503') throw new ScheduleNotFoundError(scheduleId);
			throw error;
		}
	}

	async #insertRun(client: pg.PoolClient, run: NewScheduleRun, id?: number): Promise<ScheduleRun> {
		try {
			const {rows} =
				id === undefined
					? await client.query<RunRow>(INSERT_RUN, [...runValues(run), this.#hostId])
					: await client.query<RunRow>(INSERT_RUN_WITH_ID, [...runValues(run), this.#hostId, id]);
			return runFromRow(rows[0]!);
		} catch (error) {
			if ((error as {code?: string}).code === '23503') throw new ScheduleNotFoundError(run.scheduleId);
			throw error;
		}
	}

	async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
		const client = await this.#pool.connect();
		try {
			await client.query('BEGIN');
			const result = await work(client);
			await client.query('COMMIT');
			return result;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => {});
			throw error;
		} finally {
			client.release();
		}
	}
}

/** The values of SCHEDULE_COLUMNS, in order. */
function scheduleValues(schedule: Schedule): unknown[] {
	const row = scheduleToRow(schedule);
	return SCHEDULE_COLUMNS.map(column => row[column]);
}

/** The values of RUN_COLUMNS, in order. */
function runValues(run: NewScheduleRun): unknown[] {
	const row = runToRow(run);
	return RUN_COLUMNS.map(column => row[column]);
}
