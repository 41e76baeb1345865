import {FleetError} from '../../source/core/domain/errors.js';
import {ScheduleNotFoundError, type NewScheduleRun, type Schedule, type ScheduleRun} from '../../source/core/domain/schedule.js';
import type {ScheduleFilter, ScheduleStore} from '../../source/core/ports/schedule-store.js';

/** ScheduleStore in memory, held to the same contract as SqliteScheduleStore (test/contracts). */
export class MemoryScheduleStore implements ScheduleStore {
	// A Map iterates in insertion order, which is the order the port promises.
	readonly #schedules = new Map<string, Schedule>();
	readonly #runs = new Map<number, ScheduleRun>();
	#nextRunId = 1;
	#isClosed = false;

	insert(schedule: Schedule): void {
		this.#assertOpen();
		if (this.#schedules.has(schedule.id)) throw new FleetError(`A schedule with id "${schedule.id}" already exists; a new schedule needs a fresh id.`);
		this.#schedules.set(schedule.id, copy(schedule));
	}

	update(schedule: Schedule): void {
		this.#assertOpen();
		if (!this.#schedules.has(schedule.id)) throw new ScheduleNotFoundError(schedule.id);
		this.#schedules.set(schedule.id, copy(schedule));
	}

	get(id: string): Schedule | undefined {
		this.#assertOpen();
		const schedule = this.#schedules.get(id);
		return schedule && copy(schedule);
	}

	list(filter: ScheduleFilter = {}): Schedule[] {
		this.#assertOpen();
		return [...this.#schedules.values()]
			.filter(schedule => filter.statuses === undefined || filter.statuses.includes(schedule.status))
			.filter(schedule => filter.pipelineId === undefined || schedule.pipeline?.pipelineId === filter.pipelineId)
			.map(schedule => copy(schedule));
	}

	addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun {
		this.#assertOpen();
		if (!this.#schedules.has(run.scheduleId)) throw new ScheduleNotFoundError(run.scheduleId);
		if (schedule && !this.#schedules.has(schedule.id)) throw new ScheduleNotFoundError(schedule.id);
		const stored = copy({id: this.#nextRunId++, ...run});
		this.#runs.set(stored.id, stored);
		if (schedule) this.#schedules.set(schedule.id, copy(schedule));
		return copy(stored);
	}

	updateRun(run: ScheduleRun): void {
		this.#assertOpen();
		if (!this.#runs.has(run.id)) throw new FleetError(`No run ${run.id} of schedule ${run.scheduleId} is stored; only a run that addRun returned can be updated.`);
		this.#runs.set(run.id, copy(run));
	}

	runs(scheduleId: string, limit?: number): ScheduleRun[] {
		this.#assertOpen();
		if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new TypeError(`runs() limit must be a whole number ≥ 0, got ${String(limit)}.`);
		const all = [...this.#runs.values()].filter(run => run.scheduleId === scheduleId);
		return (limit === undefined ? all : all.slice(Math.max(0, all.length - limit))).map(run => copy(run));
	}

	pendingRuns(): ScheduleRun[] {
		this.#assertOpen();
		return [...this.#runs.values()].filter(run => run.outcome === 'started').map(run => copy(run));
	}

	close(): void {
		this.#isClosed = true;
	}

	#assertOpen(): void {
		if (this.#isClosed) throw new FleetError('The schedule store is closed; open a new one to use it again.');
	}
}

/** A deep copy without keys whose value is undefined: SQLite cannot keep them either. */
function copy<T extends object>(value: T): T {
	const clone = structuredClone(value);
	for (const key of Object.keys(clone) as Array<keyof T>) {
		if (clone[key] === undefined) delete clone[key];
	}
	return clone;
}
