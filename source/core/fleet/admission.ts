import type {WorkerMode} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';

/**
 * Whether one more worker may start now; when not, why, which policy holds it (`policy`, filled in by Admission),
 * and (if known) the earliest time it could.
 */
export type AdmissionVerdict = {admit: true} | {admit: false; reason: string; until?: number; policy?: string};

/** What a policy sees when it is asked. */
export type AdmissionContext = {
	/** Workers running now. */
	running: number;
	now: number;
	/** How the next task in line runs, when one waits. */
	nextMode?: WorkerMode;
};

/**
 * One rule that can hold the next start: the worker ceiling, the stagger, the back-off after the API turned a worker
 * away, and later CPU, memory, usage quota and budgets. Policies are asked in order; the first that says no decides.
 */
export type AdmissionPolicy = {
	readonly name: string;
	check(context: AdmissionContext): AdmissionVerdict;
};

export type AdmissionOptions = {
	/** Workers that may run at once; without it the machine's resources (and the other policies) decide. */
	maxWorkers: number | undefined;
	/** Least time between two worker start-ups: concurrent claude start-ups race on their shared config file. */
	staggerMs: number;
};

/** What the pump works with: the queue's next task, how many run, and how to start one. */
export type PumpSource = {
	/** Queued tasks ready to run. */
	readonly ready: number;
	readonly running: number;
	/** The mode of the task that would start next. */
	readonly nextMode: WorkerMode | undefined;
	/** Takes the next ready task off the queue and starts its worker. */
	startNext(): void;
	/** Runs first at every pump, also one woken by a timer: whatever became ready meanwhile joins the queue. */
	prepare?(): void;
};

/**
 * Decides when the next queued task starts, and starts it. It asks every policy; when one holds the start until a
 * known time, the pump sleeps until then instead of polling. The pump is run again whenever something changes that
 * could let work start (a task queued, a worker ended).
 */
export class Admission {
	readonly #clock: Clock;
	readonly #options: AdmissionOptions;
	readonly #policies: AdmissionPolicy[];
	#lastStartAt = Number.NEGATIVE_INFINITY;
	/**
	 * When the API turned one worker away (rate limit, overload), no new worker starts until then: starting more would
	 * only meet the same answer and deepen the limit.
	 */
	#backoff: {until: number; reason: string} | undefined;
	#cancelTimer: (() => void) | undefined;
	#isDeferred = false;
	#isStopped = false;

	readonly #schedule: ((run: () => void) => void) | undefined;

	/** `schedule` runs a function on a later turn of the host's event loop; without it every pump runs to its end at once. */
	constructor(clock: Clock, options: AdmissionOptions, extraPolicies: AdmissionPolicy[] = [], schedule?: (run: () => void) => void) {
		if (options.maxWorkers !== undefined && (!Number.isInteger(options.maxWorkers) || options.maxWorkers < 1)) {
			throw new TypeError(`maxWorkers must be a whole number of at least 1, got ${options.maxWorkers}.`);
		}
		this.#clock = clock;
		this.#options = options;
		this.#schedule = schedule;
		this.#policies = [
			{
				name: 'ceiling',
				check: ({running}) => {
					const ceiling = this.#options.maxWorkers;
					return ceiling === undefined || running < ceiling ? {admit: true} : {admit: false, reason: `${running} of CCFLEET_MAX_WORKERS ${ceiling} workers run`};
				},
			},
			{
				name: 'stagger',
				check: ({now}) => {
					const until = this.#lastStartAt + this.#options.staggerMs;
					return until > now ? {admit: false, reason: 'staggering start-ups', until} : {admit: true};
				},
			},
			{
				name: 'backoff',
				check: ({now}) => (this.#backoff && this.#backoff.until > now ? {admit: false, reason: this.#backoff.reason, until: this.#backoff.until} : {admit: true}),
			},
			...extraPolicies,
		];
	}

	/** The verdict for one more start now. */
	verdict(running: number, nextMode?: WorkerMode): AdmissionVerdict {
		const context = {running, now: this.#clock.now(), ...(nextMode ? {nextMode} : {})};
		for (const policy of this.#policies) {
			const verdict = policy.check(context);
			if (!verdict.admit) return {...verdict, policy: policy.name};
		}
		return {admit: true};
	}

	/** Starts as many ready tasks as the policies allow; sleeps until a held start may go. */
	pump(source: PumpSource): void {
		if (this.#isStopped) return;
		source.prepare?.();
		while (source.ready > 0) {
			const verdict = this.verdict(source.running, source.nextMode);
			if (!verdict.admit) {
				if (verdict.until !== undefined) this.#wakeAt(verdict.until, source);
				return;
			}
			this.#lastStartAt = this.#clock.now();
			source.startNext();
			if (this.#schedule && source.ready > 0) {
				// One start per turn: the next waits for whatever the loop has queued meanwhile (an MCP answer, a hook),
				// so a burst never holds the loop for more than one process start.
				this.defer(() => this.pump(source));
				return;
			}
		}
	}

	/**
	 * Runs `pump` on a later turn of the event loop, once however often it is asked before then: a caller that queued a
	 * task gets its answer without waiting for a worker to start (a process start takes milliseconds), and a burst of
	 * submits makes one pump, not one each. Without a way to schedule it pumps at once.
	 */
	defer(pump: () => void): void {
		if (this.#isStopped) return;
		const schedule = this.#schedule;
		if (!schedule) {
			pump();
			return;
		}
		if (this.#isDeferred) return;
		this.#isDeferred = true;
		schedule(() => {
			this.#isDeferred = false;
			if (!this.#isStopped) pump();
		});
	}

	#wakeAt(until: number, source: PumpSource): void {
		this.#cancelTimer ??= this.#clock.setTimeout(() => {
			this.#cancelTimer = undefined;
			this.pump(source);
		}, until - this.#clock.now());
	}

	/** Holds every start until `until` (the longest hold wins). */
	holdUntil(until: number, reason: string): void {
		if (!this.#backoff || this.#backoff.until < until) this.#backoff = {until, reason};
	}

	/** The fleet-wide pause on new workers after the API turned one away, while it lasts. */
	backoff(): {until: number; reason: string} | undefined {
		return this.#backoff && this.#backoff.until > this.#clock.now() ? {...this.#backoff} : undefined;
	}

	/** No more starts; a sleeping pump is woken no more. */
	stop(): void {
		this.#isStopped = true;
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
	}
}
