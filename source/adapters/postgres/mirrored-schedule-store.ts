// The synchronous ScheduleStore port on the shared PostgreSQL, as MirroredTaskStore is the TaskStore port: schedules
// and their runs mirrored in memory, writes behind. See docs/research/multi-host-store.md §4.1 and §4.5.
import {isDeepStrictEqual} from 'node:util';
import type pg from 'pg';
import {FleetError, messageOf} from '../../core/domain/errors.js';
import {ScheduleNotFoundError, type NewScheduleRun, type Schedule, type ScheduleRun} from '../../core/domain/schedule.js';
import type {ScheduleFilter, ScheduleStore} from '../../core/ports/schedule-store.js';
import type {ChangeFeed} from './change-feed.js';
import {ChangeListener} from './change-listener.js';
import {OrderedWrites} from './ordered-writes.js';
import {PostgresScheduleStore} from './postgres-schedule-store.js';
import {SCHEDULES_CHANNEL} from './schema.js';

/** Run ids reserved at a time; more are reserved when fewer than half are left. */
const RUN_ID_BLOCK = 200;
const CLOSE_WRITES_MS = 5_000;

type ScheduleChange = {table: 'schedules' | 'schedule_runs'; id: string | number};

export type ScheduleMirrorOptions = {
	/** This host's id, recorded with every run it adds. */
	hostId: string;
	/** Another host changed a schedule or added or settled a run. */
	onRemoteChange?(change: {schedule?: Schedule; run?: ScheduleRun}): void;
	onError?(message: string, cause: unknown): void;
};

/**
 * ScheduleStore on PostgreSQL, synchronous as the port is. Every schedule and run is mirrored (they are few and
 * small); writes apply to the mirror and reach the database behind it, in order. A run's id must be known at once,
 * so the mirror hands out ids it reserved from the fleet-wide sequence: they increase per host, not across hosts.
 */
export class MirroredScheduleStore implements ScheduleStore {
	readonly #schedules = new Map<string, Schedule>();
	readonly #runs = new Map<number, ScheduleRun>();
	/** Schedules and runs the database has (loaded, or written by this mirror): a later write of them is an update. */
	readonly #stored = new Set<string>();
	/** Runs not written yet that were added with their schedule's new state: run id → schedule id. */
	readonly #runSchedules = new Map<number, string>();
	readonly #rows: PostgresScheduleStore;
	/** Each write reads the newest state when it runs, so a failed one is tried again as it is. */
	readonly #writes: OrderedWrites<() => Promise<void>>;
	readonly #listener: ChangeListener<ScheduleChange>;
	readonly #options: ScheduleMirrorOptions;
	#runIds: number[] = [];
	#isReserving = false;
	#isClosed = false;
	#hearing: Promise<void> = Promise.resolve();

	private constructor(pool: pg.Pool, changes: ChangeFeed, options: ScheduleMirrorOptions) {
		this.#options = options;
		this.#rows = new PostgresScheduleStore(pool, options.hostId);
		this.#writes = new OrderedWrites<() => Promise<void>>({
			write: write => write(),
			onRefused: (key, _write, error) => options.onError?.(`A schedule change (${key}) could not be written and was dropped: ${messageOf(error)}`, error),
			onRetrying: error => options.onError?.(`Writing schedules to the shared database failed; retrying: ${messageOf(error)}`, error),
		});
		this.#listener = new ChangeListener<ScheduleChange>(changes, {
			channel: SCHEDULES_CHANNEL,
			// One at a time, in the order heard: each read then sees at least what the one before it saw.
			onChange: change => {
				this.#hearing = this.#hearing.then(() => this.#heard(change));
			},
			onReconnect: () => {
				this.#load().catch((error: unknown) => options.onError?.(`Could not read the shared schedules again: ${messageOf(error)}`, error));
			},
			onError: error => options.onError?.(`The schedule change listener: ${messageOf(error)}`, error),
		});
	}

	/** `changes`: the host's ChangeFeed (one listening session for all its mirrors). */
	static async open(pool: pg.Pool, changes: ChangeFeed, options: ScheduleMirrorOptions): Promise<MirroredScheduleStore> {
		const store = new MirroredScheduleStore(pool, changes, options);
		await store.#listener.start();
		try {
			await store.#load();
			store.#runIds = await store.#rows.reserveRunIds(RUN_ID_BLOCK);
		} catch (error) {
			await store.#listener.stop();
			throw error;
		}
		return store;
	}

	insert(schedule: Schedule): void {
		this.#assertOpen();
		if (this.#schedules.has(schedule.id)) throw new FleetError(`A schedule with id "${schedule.id}" already exists; a new schedule needs a fresh id.`);
		this.#schedules.set(schedule.id, structuredClone(schedule));
		this.#writeSchedule(schedule.id);
	}

	update(schedule: Schedule): void {
		this.#assertOpen();
		if (!this.#schedules.has(schedule.id)) throw new ScheduleNotFoundError(schedule.id);
		this.#schedules.set(schedule.id, structuredClone(schedule));
		this.#writeSchedule(schedule.id);
	}

	get(id: string): Schedule | undefined {
		this.#assertOpen();
		const schedule = this.#schedules.get(id);
		return schedule && structuredClone(schedule);
	}

	list(filter: ScheduleFilter = {}): Schedule[] {
		this.#assertOpen();
		return [...this.#schedules.values()]
			.filter(
				schedule =>
					(filter.statuses === undefined || filter.statuses.includes(schedule.status)) &&
					(filter.pipelineId === undefined || schedule.pipeline?.pipelineId === filter.pipelineId),
			)
			.map(schedule => structuredClone(schedule));
	}

	addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun {
		this.#assertOpen();
		if (!this.#schedules.has(run.scheduleId)) throw new ScheduleNotFoundError(run.scheduleId);
		if (schedule && !this.#schedules.has(schedule.id)) throw new ScheduleNotFoundError(schedule.id);
		const id = this.#runIds.shift();
		if (id === undefined) {
			throw new FleetError(
				'No run ids are left to hand out: the shared database has not answered for a while. ccfleet tries again; check the database (ccfleet doctor).',
			);
		}
		if (this.#runIds.length < RUN_ID_BLOCK / 2) void this.#reserveMore();
		const recorded: ScheduleRun = {id, ...withoutUndefined(structuredClone(run))};
		this.#runs.set(id, recorded);
		if (schedule) this.#schedules.set(schedule.id, structuredClone(schedule));
		if (schedule) this.#runSchedules.set(id, schedule.id);
		this.#writeRun(id);
		return structuredClone(recorded);
	}

	updateRun(run: ScheduleRun): void {
		this.#assertOpen();
		if (!this.#runs.has(run.id)) throw new FleetError(`No run ${run.id} of schedule ${run.scheduleId} is stored; only a run that addRun returned can be updated.`);
		this.#runs.set(run.id, structuredClone(run));
		this.#writeRun(run.id);
	}

	runs(scheduleId: string, limit?: number): ScheduleRun[] {
		this.#assertOpen();
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`runs() limit must be a whole number ≥ 0, got ${String(limit)}.`);
		const all = this.#sortedRuns().filter(run => run.scheduleId === scheduleId);
		return (limit === undefined ? all : all.slice(Math.max(0, all.length - limit))).map(run => structuredClone(run));
	}

	pendingRuns(): ScheduleRun[] {
		this.#assertOpen();
		return this.#sortedRuns()
			.filter(run => run.outcome === 'started')
			.map(run => structuredClone(run));
	}

	flush(): Promise<void> {
		return this.#writes.flush();
	}

	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		void this.#listener.stop();
	}

	/** After close(): waits up to `timeoutMs` for queued writes, then gives up; returns what was never written ("schedule:id", "run:id"). */
	async closed(timeoutMs = CLOSE_WRITES_MS): Promise<string[]> {
		const unwritten = await this.#writes.stop(timeoutMs);
		await this.#listener.stop();
		return [...unwritten.keys()];
	}

	#writeSchedule(id: string): void {
		this.#writes.push(`schedule:${id}`, async () => {
			const current = this.#schedules.get(id)!;
			if (this.#stored.has(`schedule:${id}`)) await this.#rows.update(current);
			else {
				await this.#rows.insert(current);
				this.#stored.add(`schedule:${id}`);
			}
		});
	}

	/**
	 * Writes a run at its newest state. The first write of a run added with its schedule's new state carries that
	 * schedule too, in one transaction, at its newest state (a later write of it may wait behind this one).
	 */
	#writeRun(id: number): void {
		this.#writes.push(`run:${id}`, async () => {
			const current = this.#runs.get(id)!;
			if (this.#stored.has(`run:${id}`)) {
				await this.#rows.updateRun(current);
				return;
			}
			const scheduleId = this.#runSchedules.get(id);
			await this.#rows.addRun(current, scheduleId === undefined ? undefined : this.#schedules.get(scheduleId), id);
			this.#stored.add(`run:${id}`);
			this.#runSchedules.delete(id);
		});
	}

	#sortedRuns(): ScheduleRun[] {
		return [...this.#runs.values()].sort((a, b) => a.id - b.id);
	}

	async #reserveMore(): Promise<void> {
		if (this.#isReserving || this.#isClosed) return;
		this.#isReserving = true;
		try {
			this.#runIds.push(...(await this.#rows.reserveRunIds(RUN_ID_BLOCK)));
		} catch (error) {
			this.#options.onError?.(`Could not reserve run ids: ${messageOf(error)}`, error);
		} finally {
			this.#isReserving = false;
		}
	}

	/** Everything, oldest first: at open and after the listener reconnected. What this host still writes wins. */
	async #load(): Promise<void> {
		const [schedules, runs] = await Promise.all([this.#rows.list(), this.#rows.allRuns()]);
		for (const schedule of schedules) this.#applySchedule(schedule);
		for (const run of runs) this.#applyRun(run);
	}

	async #heard(change: ScheduleChange): Promise<void> {
		if (this.#isClosed) return;
		try {
			if (change.table === 'schedules') {
				const schedule = await this.#rows.get(String(change.id));
				if (schedule && this.#applySchedule(schedule)) this.#options.onRemoteChange?.({schedule: structuredClone(schedule)});
			} else {
				const run = await this.#rows.run(Number(change.id));
				if (run && this.#applyRun(run)) this.#options.onRemoteChange?.({run: structuredClone(run)});
			}
		} catch (error) {
			this.#options.onError?.(`Could not read a schedule change: ${messageOf(error)}`, error);
		}
	}

	/** Takes the database's state unless this host's own write of it is on its way; says whether anything changed. */
	#applySchedule(schedule: Schedule): boolean {
		this.#stored.add(`schedule:${schedule.id}`);
		if (this.#writes.has(`schedule:${schedule.id}`)) return false;
		const isNew = !isDeepStrictEqual(this.#schedules.get(schedule.id), schedule);
		this.#schedules.set(schedule.id, schedule);
		return isNew;
	}

	#applyRun(run: ScheduleRun): boolean {
		this.#stored.add(`run:${run.id}`);
		if (this.#writes.has(`run:${run.id}`)) return false;
		const isNew = !isDeepStrictEqual(this.#runs.get(run.id), run);
		this.#runs.set(run.id, run);
		return isNew;
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError('The shared schedule store is closed; open a new MirroredScheduleStore to use it again.');
	}
}

function withoutUndefined<T extends object>(value: T): T {
	for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
	return value;
}
