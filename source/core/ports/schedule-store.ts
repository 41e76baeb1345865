import type {NewScheduleRun, Schedule, ScheduleRun, ScheduleStatus} from '../domain/schedule.js';

export type ScheduleFilter = {
	/** Only schedules in one of these statuses. */
	statuses?: readonly ScheduleStatus[];
	/** Only the steps of this pipeline. */
	pipelineId?: string;
};

/**
 * Durable home of every schedule and its run history. Each call is one transaction, like TaskStore's;
 * synchronous for the same reason. Values are copied in and out.
 */
export type ScheduleStore = {
	/** Throws if a schedule with that id exists. */
	insert(schedule: Schedule): void;
	/** Replaces the stored schedule with the same id; throws ScheduleNotFoundError if there is none. */
	update(schedule: Schedule): void;
	get(id: string): Schedule | undefined;
	/** Oldest first. */
	list(filter?: ScheduleFilter): Schedule[];
	/**
	 * Records a run and returns it with its id (increasing across all schedules). When `schedule` is given, it is
	 * updated in the same transaction, so a crash never leaves a run recorded without the schedule moving on.
	 * Throws ScheduleNotFoundError for an unknown schedule.
	 */
	addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun;
	/** Replaces the stored run with the same id; throws if there is none. */
	updateRun(run: ScheduleRun): void;
	/** The newest `limit` runs of a schedule (all when absent), oldest first. */
	runs(scheduleId: string, limit?: number): ScheduleRun[];
	/** Runs whose task has not ended yet (outcome `started`), oldest first: what the scheduler watches after a restart. */
	pendingRuns(): ScheduleRun[];
	/** Resolves once every change so far is durable: a store that writes behind (shared); absent when every call is. */
	flush?(): Promise<void>;
	close(): void;
};
