// Longer than ~300 lines for a reason: one timer, one store and the runs in flight are this class's state, and
// every method moves them together. What each due time means is decided by pure functions in domain/ (due-runs,
// pipeline, schedule); what stays here is carrying those decisions out in order. Sharing a fleet adds leading and
// claiming (#lead, #follow, #claimThenHandle), which move the same timer and runs; if it grows further, the firing of
// one due time (claim, handle, give up) is the part to move into a module of its own.
import {InvalidInputError, messageOf} from './domain/errors.js';
import {EventBus, type ScheduleEvents} from './events.js';
import {
	createSchedule,
	checkTimezone,
	formatInZone,
	isScheduleEnded,
	nextCronRun,
	ScheduleNotFoundError,
	type NewScheduleInput,
	type NewScheduleRun,
	type RunOutcome,
	type Schedule,
	type ScheduleRun,
	type ScheduleStatus,
} from './domain/schedule.js';
import {planDue} from './domain/due-runs.js';
import {createPipelineSchedules, type PipelineInput} from './domain/pipeline.js';
import {isTerminal, type NewTaskInput, type Task, type TaskStatus} from './domain/task.js';
import type {Clock} from './ports/clock.js';
import {silentLogger, type Logger} from './ports/logger.js';
import type {ScheduleFiring} from './ports/schedule-firing.js';
import type {ScheduleStore} from './ports/schedule-store.js';

/** The part of the Fleet the scheduler uses. */
export type SchedulerFleet = {
	submit(input: NewTaskInput): Task;
	/** Throws TaskNotFoundError for an unknown id. */
	get(id: string): Task;
	on(event: 'task:updated', listener: (payload: {task: Task; previous: TaskStatus}) => void): () => void;
};

export type SchedulerPorts = {
	store: ScheduleStore;
	clock: Clock;
	ids: {scheduleId(): string};
	fleet: SchedulerFleet;
	logger?: Logger;
	/** Several hosts: only the leader fires, each due time once. Absent: this scheduler fires everything. */
	firing?: ScheduleFiring;
};

export type SchedulerOptions = {
	/** IANA zone of a schedule created without one. */
	defaultTimezone: string;
	/**
	 * A due time handled less than this late is simply late (a restart, a busy event loop) and runs as usual;
	 * later than that it was missed and the schedule's missed-run policy decides.
	 */
	missedGraceMs: number;
	/** Most `missed-failed` entries written for one gap; the last one says how many more there were. */
	maxMissedRunsRecorded: number;
};

const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
	defaultTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
	missedGraceMs: 60_000,
	maxMissedRunsRecorded: 100,
};

/** A schedule that could not be handled (its store write failed) is tried again this much later, not in a hot loop. */
const RETRY_AFTER_ERROR_MS = 60_000;
/** A due time another host claimed is looked at again this often until that host's run reaches this host's store. */
const RECHECK_CLAIMED_MS = 1_000;
/** A host that claimed a due time and recorded no run within this long stopped in between: the due time is given up. */
const CLAIMED_UNRECORDED_MS = 30_000;

export type {PipelineInput} from './domain/pipeline.js';

export type Pipeline = {pipelineId: string; schedules: Schedule[]};

/**
 * Fires schedules into the fleet: recurring (cron) and one-time, with missed-run policies after downtime, no
 * overlapping runs of one schedule, and a run history. Pipelines are chains of one-time schedules, each armed when
 * the step before it completes.
 *
 * One timer is armed for the earliest due time and re-armed on every change. Every change is written to the
 * store before anything else happens, so a restart (a new Scheduler on the same store) picks up where this one
 * stopped: `start()` settles runs whose tasks ended meanwhile and applies the missed-run policies. Each change is
 * announced on the scheduler's bus (`on`) once it is stored, as the fleet announces task changes.
 */
export class Scheduler {
	readonly #store: ScheduleStore;
	readonly #clock: Clock;
	readonly #ids: {scheduleId(): string};
	readonly #fleet: SchedulerFleet;
	readonly #logger: Logger;
	readonly #options: SchedulerOptions;
	/** Runs whose task has not ended, by task id. */
	readonly #pending = new Map<string, ScheduleRun>();
	/** Schedules whose handling failed, by id: the earliest time to try again. */
	readonly #retryAt = new Map<string, number>();
	readonly #firing: ScheduleFiring | undefined;
	/** Due times being claimed from the other hosts (`id@dueAt`): one claim at a time each. */
	readonly #claiming = new Set<string>();
	/** Whether this scheduler fires (alone: always; sharing a fleet: while this host leads). */
	#isLeading: boolean;
	#cancelTimer: (() => void) | undefined;
	#unsubscribe: (() => void) | undefined;
	#unsubscribeLead: (() => void) | undefined;
	#phase: 'new' | 'running' | 'stopped' = 'new';
	readonly #bus = new EventBus<ScheduleEvents>((message, cause) => this.#logger.error(message, {error: String(cause)}));

	constructor(ports: SchedulerPorts, options: Partial<SchedulerOptions> = {}) {
		this.#store = ports.store;
		this.#clock = ports.clock;
		this.#ids = ports.ids;
		this.#fleet = ports.fleet;
		this.#logger = ports.logger ?? silentLogger;
		this.#firing = ports.firing;
		this.#isLeading = !ports.firing;
		this.#options = {...DEFAULT_SCHEDULER_OPTIONS, ...options};
		this.#options.defaultTimezone = checkTimezone(this.#options.defaultTimezone, 'defaultTimezone');
		if (!Number.isFinite(this.#options.missedGraceMs) || this.#options.missedGraceMs < 0) {
			throw new TypeError(`missedGraceMs must be a number of milliseconds ≥ 0, got ${this.#options.missedGraceMs}.`);
		}
		if (!Number.isInteger(this.#options.maxMissedRunsRecorded) || this.#options.maxMissedRunsRecorded < 0) {
			throw new TypeError(`maxMissedRunsRecorded must be a whole number ≥ 0, got ${this.#options.maxMissedRunsRecorded}.`);
		}
	}

	/**
	 * Settles the runs whose tasks ended while no scheduler watched, applies each schedule's missed-run policy to
	 * what fell due while ccfleet was down, and arms the timer. Call once, after the fleet has started. Sharing a
	 * fleet, a host that does not lead only stores what it is asked to; it does all this when it comes to lead.
	 */
	start(): void {
		if (this.#phase !== 'new') throw new Error('Scheduler.start() may be called once.');
		this.#phase = 'running';
		this.#unsubscribe = this.#fleet.on('task:updated', ({task}) => {
			const run = this.#pending.get(task.id);
			if (run && isTerminal(task.status)) this.#settle(run, task);
		});
		this.#unsubscribeLead = this.#firing?.onLeaderChange(isLeader => (isLeader ? this.#lead() : this.#follow()));
		this.#isLeading = this.#firing?.isLeader() ?? true;
		if (this.#isLeading) this.#lead();
		else this.#logger.info('scheduler started; another host fires the schedules while it leads', {active: this.#store.list({statuses: ['active']}).length});
	}

	/**
	 * Another host of a shared fleet stored a schedule or a run: announced as this host's own changes are, and the
	 * leader's timer is armed for it (a schedule created, resumed or paused elsewhere).
	 */
	remoteChanged(change: {schedule?: Schedule; run?: ScheduleRun}): void {
		if (change.schedule) this.#bus.emit('schedule:updated', {schedule: change.schedule});
		if (change.run) this.#bus.emit('schedule:run-recorded', {run: change.run});
		if (this.#phase === 'running' && this.#isLeading) this.#tick();
	}

	/** Takes over firing: what `start()` does alone, with the runs any host's scheduler left pending. */
	#lead(): void {
		if (this.#phase !== 'running') return;
		this.#isLeading = true;
		for (const run of this.#store.pendingRuns()) {
			if (run.taskId === undefined) continue;
			this.#pending.set(run.taskId, run);
			this.#settleIfEnded(run);
		}
		const now = this.#clock.now();
		for (const schedule of this.#store.list({statuses: ['active']})) {
			// Only a bug or a hand-edited row leaves an active cron schedule unarmed; arm it rather than never firing.
			if (schedule.kind === 'cron' && schedule.nextRunAt === undefined) {
				this.#update({...schedule, nextRunAt: nextCronRun(schedule.cron!, schedule.timezone, now), updatedAt: now});
			}
		}
		this.#tick();
		this.#logger.info(this.#firing ? 'scheduler leads: this host fires the schedules' : 'scheduler started', {
			active: this.#store.list({statuses: ['active']}).length,
			pendingRuns: this.#pending.size,
		});
	}

	/** Another host leads now: this one stops firing and watching runs (the leader settles them). */
	#follow(): void {
		if (!this.#isLeading) return;
		this.#isLeading = false;
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
		this.#pending.clear();
		this.#retryAt.clear();
		this.#logger.warn('scheduler no longer leads: another host fires the schedules now');
	}

	/** Hears a kind of change after it is stored; returns the unsubscribe. A listener that throws is logged, never rethrown. */
	on<E extends keyof ScheduleEvents>(event: E, listener: (payload: ScheduleEvents[E]) => void): () => void {
		return this.#bus.on(event, listener);
	}

	/** Stops firing; schedules stay as stored and continue at the next start. Idempotent. */
	stop(): void {
		if (this.#phase === 'stopped') return;
		this.#phase = 'stopped';
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
		this.#unsubscribe?.();
		this.#unsubscribe = undefined;
		this.#unsubscribeLead?.();
		this.#unsubscribeLead = undefined;
	}

	/** Validates and stores a new active schedule. Throws InvalidInputError naming the bad field. */
	create(input: NewScheduleInput): Schedule {
		const schedule = createSchedule(input, {id: this.#ids.scheduleId(), now: this.#clock.now(), defaultTimezone: this.#options.defaultTimezone});
		this.#insert(schedule);
		this.#logger.info('schedule created', {id: schedule.id, kind: schedule.kind, next: schedule.nextRunAt});
		this.#arm();
		return schedule;
	}

	/**
	 * Chains one-time schedules: the first step fires now; each later step fires `delayMs` after the task of the
	 * step before it completes. When a step's task fails or is cancelled (or a step is cancelled), the steps after
	 * it are cancelled with that reason. Steps catch up after downtime rather than skip, so a chain is never cut.
	 */
	pipeline(input: PipelineInput): Pipeline {
		const timezone = checkTimezone(input.timezone ?? this.#options.defaultTimezone);
		const pipelineId = this.#ids.scheduleId();
		const schedules = createPipelineSchedules(input, {pipelineId, newId: () => this.#ids.scheduleId(), now: this.#clock.now(), timezone});
		for (const schedule of schedules) this.#insert(schedule);
		this.#logger.info('pipeline created', {pipelineId, steps: schedules.length, delayMs: input.delayMs ?? 0});
		this.#tick();
		return {pipelineId, schedules: this.#store.list({pipelineId})};
	}

	/** Resolves once every schedule change so far is durable (a shared store writes behind); at once for one that does not. */
	async flush(): Promise<void> {
		await this.#store.flush?.();
	}

	/** The schedule with that id; throws ScheduleNotFoundError. */
	get(id: string): Schedule {
		const schedule = this.#store.get(id);
		if (!schedule) throw new ScheduleNotFoundError(id);
		return schedule;
	}

	/** Oldest first. */
	list(filter: {statuses?: readonly ScheduleStatus[]; pipelineId?: string} = {}): Schedule[] {
		return this.#store.list(filter);
	}

	/** The newest `limit` runs of a schedule, oldest first. */
	runs(id: string, limit?: number): ScheduleRun[] {
		this.get(id);
		return this.#store.runs(id, limit);
	}

	/** Stops an active schedule from firing until it is resumed. A task it already started goes on. */
	pause(id: string): Schedule {
		const schedule = this.get(id);
		if (schedule.status === 'paused') return schedule;
		if (schedule.status !== 'active') throw new InvalidInputError(`Schedule ${id} is ${schedule.status}; only an active schedule can be paused.`);
		const next: Schedule = {...schedule, status: 'paused', updatedAt: this.#clock.now()};
		delete next.nextRunAt;
		this.#update(next);
		this.#arm();
		return next;
	}

	/**
	 * Makes a paused schedule active again. A cron schedule continues with its next time from now: what fell due
	 * while it was paused is not run. A one-time schedule whose time passed meanwhile runs now (it has no other).
	 */
	resume(id: string): Schedule {
		const schedule = this.get(id);
		if (schedule.status === 'active') return schedule;
		if (schedule.status !== 'paused') throw new InvalidInputError(`Schedule ${id} is ${schedule.status}; only a paused schedule can be resumed.`);
		const now = this.#clock.now();
		const next: Schedule = {...schedule, status: 'active', updatedAt: now};
		if (schedule.kind === 'cron') next.nextRunAt = nextCronRun(schedule.cron!, schedule.timezone, now);
		else if (schedule.runAt !== undefined) next.nextRunAt = Math.max(schedule.runAt, now);
		this.#update(next);
		this.#tick();
		return this.get(id);
	}

	/** Ends a schedule for good; a task it already started goes on. Later steps of its pipeline are cancelled too. */
	cancel(id: string, reason?: string): Schedule {
		const schedule = this.get(id);
		if (isScheduleEnded(schedule.status)) throw new InvalidInputError(`Schedule ${id} already ended (${schedule.status}); there is nothing to cancel.`);
		const why = reason?.trim() || 'cancelled';
		this.#end(schedule, why);
		if (schedule.pipeline) this.#cancelLaterSteps(schedule, `step ${schedule.pipeline.step} (schedule ${schedule.id}) was cancelled: ${why}`);
		this.#arm();
		return this.get(id);
	}

	#end(schedule: Schedule, reason: string): void {
		const next: Schedule = {...schedule, status: 'cancelled', endReason: reason, updatedAt: this.#clock.now()};
		delete next.nextRunAt;
		this.#update(next);
	}

	/** Handles every schedule that is due, then arms the timer for the next. */
	#tick(): void {
		if (this.#phase !== 'running' || !this.#isLeading) return;
		const now = this.#clock.now();
		for (const {id} of this.#store.list({statuses: ['active']})) {
			// Read again: handling one schedule (a task failing at once) can change another, e.g. a pipeline's next step.
			const schedule = this.#store.get(id);
			if (schedule?.status !== 'active' || schedule.nextRunAt === undefined || this.#dueAt(schedule) > now) continue;
			if (this.#firing) {
				this.#claimThenHandle(this.#firing, schedule);
				continue;
			}
			try {
				this.#handleDue(schedule, now);
				this.#retryAt.delete(id);
			} catch (error) {
				this.#retryAt.set(id, now + RETRY_AFTER_ERROR_MS);
				this.#logger.error('a schedule could not fire; trying again in a minute', {id, error: messageOf(error)});
			}
		}
		this.#arm();
	}

	/**
	 * Sharing a fleet: the due time is claimed first, and handled only by the one host that wins it. A due time another
	 * host won is looked at again shortly, by when that host's run has normally reached this store and moved the
	 * schedule on; if it never does, that host stopped in between, and the due time is recorded as not started.
	 */
	#claimThenHandle(firing: ScheduleFiring, schedule: Schedule): void {
		const dueAt = schedule.nextRunAt!;
		const key = `${schedule.id}@${dueAt}`;
		if (this.#claiming.has(key)) return;
		this.#claiming.add(key);
		const stillDue = () => {
			const current = this.#store.get(schedule.id);
			return this.#phase === 'running' && this.#isLeading && current?.status === 'active' && current.nextRunAt === dueAt ? current : undefined;
		};
		firing
			.claim(schedule.id, dueAt)
			.then(claim => {
				const current = stillDue();
				if (!current) return;
				const now = this.#clock.now();
				if (claim.won) {
					this.#retryAt.delete(schedule.id);
					this.#handleDue(current, now);
				} else if (now - claim.at < CLAIMED_UNRECORDED_MS) {
					this.#retryAt.set(schedule.id, now + RECHECK_CLAIMED_MS);
				} else {
					this.#retryAt.delete(schedule.id);
					this.#giveUpClaimed(current, claim.by, now);
				}
			})
			.catch((error: unknown) => {
				if (!stillDue()) return;
				this.#retryAt.set(schedule.id, this.#clock.now() + RETRY_AFTER_ERROR_MS);
				this.#logger.error('a schedule could not fire; trying again in a minute', {id: schedule.id, error: messageOf(error)});
			})
			.finally(() => {
				this.#claiming.delete(key);
				this.#arm();
			});
	}

	/** A due time another host claimed and never recorded (it stopped in between): recorded as not started, and moved on. */
	#giveUpClaimed(schedule: Schedule, host: string, now: number): void {
		const plan = planDue(schedule, now, this.#options);
		const scheduledFor = plan.fireFor ?? schedule.nextRunAt!;
		const detail = `Host ${host} claimed this due time to fire it and recorded no run within ${CLAIMED_UNRECORDED_MS / 1000} s: it stopped in between.`;
		this.#addRun({scheduleId: schedule.id, scheduledFor, firedAt: now, outcome: 'not-started', detail}, plan.next);
		this.#logger.warn('a due time another host claimed was never fired; moving on', {id: schedule.id, host, scheduledFor: new Date(scheduledFor).toISOString()});
		this.#afterNoTask(plan.next, detail);
	}

	#arm(): void {
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
		if (this.#phase !== 'running' || !this.#isLeading) return;
		let earliest = Number.POSITIVE_INFINITY;
		for (const schedule of this.#store.list({statuses: ['active']})) {
			// A due time being claimed arms the timer again when its claim comes back.
			if (schedule.nextRunAt !== undefined && !this.#claiming.has(`${schedule.id}@${schedule.nextRunAt}`)) earliest = Math.min(earliest, this.#dueAt(schedule));
		}
		if (earliest === Number.POSITIVE_INFINITY) return;
		this.#cancelTimer = this.#clock.setTimeout(
			() => {
				this.#cancelTimer = undefined;
				this.#tick();
			},
			Math.max(0, earliest - this.#clock.now()),
		);
	}

	#dueAt(schedule: Schedule): number {
		return Math.max(schedule.nextRunAt!, this.#retryAt.get(schedule.id) ?? Number.NEGATIVE_INFINITY);
	}

	/** One schedule whose `nextRunAt` has come: records what was missed, fires if its policy says so, moves on. */
	#handleDue(schedule: Schedule, now: number): void {
		const plan = planDue(schedule, now, this.#options);
		if (plan.missedCount > 0)
			this.#logger.warn('schedule missed runs while ccfleet was down', {id: schedule.id, missed: plan.missedCount, policy: schedule.missedRunPolicy});
		if (plan.fireFor === undefined) {
			// Nothing fires: the schedule's new state is written with the last missed-run record, in one write.
			plan.missedRuns.forEach((run, index) => this.#addRun(run, index === plan.missedRuns.length - 1 ? plan.next : undefined));
			if (plan.missedRuns.length === 0) this.#update(plan.next);
			this.#afterNoTask(plan.next, 'its time passed while ccfleet was not running');
			return;
		}
		for (const run of plan.missedRuns) this.#addRun(run);
		this.#fire(plan.next, plan.fireFor, now, plan.catchUp);
	}

	/** Submits the schedule's task for one due time, unless the task of an earlier run still runs. */
	#fire(next: Schedule, scheduledFor: number, now: number, catchUp?: {missedCount: number; detail: string}): void {
		const base = {scheduleId: next.id, scheduledFor, firedAt: now, ...(catchUp ? {missedCount: catchUp.missedCount} : {})};
		const running = this.#runningRunOf(next.id);
		if (running) {
			const status = this.#fleet.get(running.taskId!).status;
			this.#addRun(
				{
					...base,
					outcome: 'skipped-overlap',
					detail: `Not started: task ${running.taskId} of the run due ${formatInZone(running.scheduledFor, next.timezone)} is still ${status}, and runs of one schedule never overlap.`,
				},
				next,
			);
			this.#logger.info('schedule skipped a run: its previous task still runs', {id: next.id, taskId: running.taskId});
			return;
		}
		let task: Task;
		try {
			task = this.#fleet.submit({...next.task});
		} catch (error) {
			const reason = messageOf(error);
			this.#addRun({...base, outcome: 'not-started', detail: `The fleet refused the task: ${reason}`}, next);
			this.#logger.error('a schedule could not submit its task', {id: next.id, error: reason});
			this.#afterNoTask(next, `its task could not be submitted: ${reason}`);
			return;
		}
		next.lastRunAt = now;
		const run = this.#addRun({...base, taskId: task.id, outcome: 'started', ...(catchUp ? {detail: catchUp.detail} : {})}, next);
		this.#pending.set(task.id, run);
		this.#logger.info('schedule fired', {id: next.id, taskId: task.id, scheduledFor: new Date(scheduledFor).toISOString(), lateMs: now - scheduledFor});
		// A task can end inside submit (its worker failed to start) before the run was there to be settled.
		this.#settleIfEnded(run);
	}

	#insert(schedule: Schedule): void {
		this.#store.insert(schedule);
		this.#bus.emit('schedule:created', {schedule});
	}

	#update(schedule: Schedule): void {
		this.#store.update(schedule);
		this.#bus.emit('schedule:updated', {schedule});
	}

	/** Records a run, and with it (in one write) the schedule's new state when given. */
	#addRun(run: NewScheduleRun, schedule?: Schedule): ScheduleRun {
		const recorded = this.#store.addRun(run, schedule);
		if (schedule) this.#bus.emit('schedule:updated', {schedule});
		this.#bus.emit('schedule:run-recorded', {run: recorded});
		return recorded;
	}

	#updateRun(run: ScheduleRun): void {
		this.#store.updateRun(run);
		this.#bus.emit('schedule:run-recorded', {run});
	}

	/** The run of this schedule whose task is still going, if any; runs whose task ended unseen are settled on the way. */
	#runningRunOf(scheduleId: string): ScheduleRun | undefined {
		for (const run of [...this.#pending.values()]) {
			if (run.scheduleId !== scheduleId) continue;
			if (!this.#settleIfEnded(run)) return run;
		}
		return undefined;
	}

	/** Settles the run if its task has ended (or is gone); true if it did. */
	#settleIfEnded(run: ScheduleRun): boolean {
		let task: Task;
		try {
			task = this.#fleet.get(run.taskId!);
		} catch {
			this.#settle(run, undefined);
			return true;
		}
		if (!isTerminal(task.status)) return false;
		this.#settle(run, task);
		return true;
	}

	/** Records how a run's task ended and moves its pipeline on. */
	#settle(run: ScheduleRun, task: Task | undefined): void {
		this.#pending.delete(run.taskId!);
		const now = this.#clock.now();
		const outcome: RunOutcome = task === undefined ? 'failed' : task.status === 'completed' ? 'completed' : task.status === 'cancelled' ? 'cancelled' : 'failed';
		const detail = task === undefined ? `Its task ${run.taskId} no longer exists.` : task.failureReason;
		const settled: ScheduleRun = {...run, outcome, endedAt: task?.endedAt ?? now, ...(detail ? {detail: run.detail ? `${run.detail} ${detail}` : detail} : {})};
		this.#updateRun(settled);
		const schedule = this.#store.get(run.scheduleId);
		if (!schedule?.pipeline) return;
		if (outcome === 'completed') {
			this.#armNextStep(schedule, now);
		} else {
			const why = detail ? `: ${detail}` : '';
			this.#cancelLaterSteps(schedule, `step ${schedule.pipeline.step} (task ${run.taskId}) ${outcome === 'cancelled' ? 'was cancelled' : 'failed'}${why}`);
		}
		this.#arm();
	}

	/** A one-time schedule that ended without a task breaks its pipeline: the steps after it cannot run. */
	#afterNoTask(schedule: Schedule, why: string): void {
		if (schedule.pipeline && schedule.kind === 'once') this.#cancelLaterSteps(schedule, `step ${schedule.pipeline.step} (schedule ${schedule.id}) did not run: ${why}`);
	}

	#armNextStep(schedule: Schedule, now: number): void {
		const link = schedule.pipeline!;
		const next = this.#store.list({pipelineId: link.pipelineId}).find(step => step.pipeline!.step === link.step + 1);
		if (!next || isScheduleEnded(next.status) || next.runAt !== undefined) return;
		const runAt = now + link.delayMs;
		// A paused step keeps its time and fires when resumed (at once, if the time has passed by then).
		this.#update({...next, runAt, ...(next.status === 'active' ? {nextRunAt: runAt} : {}), updatedAt: now});
		this.#logger.info('pipeline step armed', {pipelineId: link.pipelineId, step: link.step + 1, delayMs: link.delayMs});
	}

	#cancelLaterSteps(schedule: Schedule, reason: string): void {
		const link = schedule.pipeline!;
		for (const step of this.#store.list({pipelineId: link.pipelineId})) {
			if (step.pipeline!.step <= link.step || isScheduleEnded(step.status)) continue;
			this.#end(step, `Pipeline stopped: ${reason}`);
		}
	}
}

/** Builds the scheduler over its ports. */
export function createScheduler(ports: SchedulerPorts, options: Partial<SchedulerOptions> = {}): Scheduler {
	return new Scheduler(ports, options);
}
