import {formatDuration} from '../domain/duration.js';
import {transition, type Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {TakenOver} from '../ports/task-coordinator.js';
import type {WorkerExit} from '../ports/worker-driver.js';
import type {PriorityQueue} from '../queue.js';
import type {Admission} from './admission.js';
import {decideExit, type StopIntent} from './exit-policy.js';
import type {Finisher} from './finisher.js';
import type {TaskLedger} from './task-ledger.js';
import {LIMIT_RESUME_PROMPT, promptWithDependencies, RESUME_PROMPT, takeoverNote, takeoverPreamble, takeoverResumePrompt, workingDirectory} from './worker-prompt.js';
import type {WorkerSupervisor} from './worker-supervisor.js';

export type TaskRunnerPorts = {
	clock: Clock;
	queue: PriorityQueue;
	ledger: TaskLedger;
	admission: Admission;
	supervisor: WorkerSupervisor;
	finisher: Finisher;
	maxAttempts: number;
	retryBaseMs: number;
	/** False once the fleet stops: nothing is retried then. */
	isTakingWork(): boolean;
	canResume(task: Task): boolean;
	/** Shared fleet: the host a task about to start was taken over from (asked once per start). */
	takenOver?(taskId: string): TakenOver | undefined;
	/** Shared fleet: this host's id. */
	hostId?: string;
	note(taskId: string, text: string): void;
	/** A worker is about to start for this task (its memory counts from now). */
	onStarting(task: Task): void;
	/** Until when the account's usage limit holds, if it does. */
	limitedUntil(): number | undefined;
	/** A task was parked at the usage limit. */
	onParked(task: Task): void;
	/** The instructions of a role (built-in or the user's), or undefined when no role has that name now. */
	roleInstructions(name: string): string | undefined;
};

/**
 * Turns the queue's next task into a running worker, and a worker's exit into what happens to its task: an end,
 * a return to the queue for the next start of ccfleet, or a retry after a pause.
 */
export class TaskRunner {
	readonly #ports: TaskRunnerPorts;

	constructor(ports: TaskRunnerPorts) {
		this.#ports = ports;
	}

	/** Takes the next ready task off the queue and starts its worker. */
	startNext(): void {
		const {queue, ledger, clock, supervisor} = this.#ports;
		const id = queue.shift();
		const queued = id === undefined ? undefined : ledger.active(id);
		if (queued?.status !== 'queued') return;
		const takenOver = this.#ports.takenOver?.(queued.id);
		// Taken over from a lost host: its conversation goes on only if this host can read it (a shared home, or the same host back).
		const resume = takenOver ? this.#ports.canResume(queued) : queued.resumePending === true && this.#ports.canResume(queued);
		const task = transition(queued, 'running', clock.now(), {attempts: queued.attempts + 1, resumePending: false});
		delete task.worker;
		delete task.exitCode;
		delete task.parkedUntil;
		if (!ledger.save(task, queued.status)) return;
		this.#ports.onStarting(task);
		if (takenOver) {
			const isRetold = task.checkpoint?.runningOn !== undefined && task.checkpoint.outputTail.length > 0;
			this.#ports.note(task.id, takeoverNote(takenOver, resume ? 'resumed' : isRetold ? 'retold' : 'no-checkpoint', this.#ports.hostId));
		}
		supervisor.start(task, {
			taskId: task.id,
			// A run lost mid-turn is told what happened; a task created to continue a conversation brings its own prompt.
			prompt: takenOver
				? resume
					? takeoverResumePrompt(takenOver)
					: takeoverPreamble(task, takenOver) + promptWithDependencies(task, dependency => ledger.find(dependency))
				: resume && queued.parkedUntil !== undefined
					? LIMIT_RESUME_PROMPT
					: resume && queued.attempts > 0
						? RESUME_PROMPT
						: promptWithDependencies(task, dependency => ledger.find(dependency)),
			cwd: workingDirectory(task),
			sessionId: task.sessionId,
			resume,
			permissionMode: task.permissionMode,
			mode: task.mode,
			...(task.model ? {model: task.model} : {}),
			...(task.role ? this.#roleSettings(task.id, task.role) : {}),
			...(task.maxBudgetUsd === undefined ? {} : {maxBudgetUsd: task.maxBudgetUsd}),
		});
	}

	/** A user's role can vanish between submit and start (its file removed): the worker then runs, told so in its log. */
	#roleSettings(taskId: string, role: string): {systemPrompt?: string} {
		const instructions = this.#ports.roleInstructions(role);
		if (instructions === undefined) this.#ports.note(taskId, `ccfleet: the role "${role}" is no longer defined; the worker runs without its instructions.\n`);
		return instructions === undefined ? {} : {systemPrompt: instructions};
	}

	/** Carries out what the exit policy says a worker's exit means for its task. */
	handleExit(task: Task, exit: WorkerExit, stopping: StopIntent | undefined): void {
		const {finisher, ledger, clock} = this.#ports;
		const changes: Partial<Task> = {exitCode: exit.exitCode};
		if (exit.result !== undefined) changes.result = exit.result;
		const decision = decideExit({
			task,
			exit,
			stopping,
			maxAttempts: this.#ports.maxAttempts,
			isTakingWork: this.#ports.isTakingWork(),
			retryBaseMs: this.#ports.retryBaseMs,
			limitedUntil: this.#ports.limitedUntil(),
		});
		switch (decision.kind) {
			case 'complete':
				finisher.finish(task, 'completed', changes);
				break;
			case 'fail':
				finisher.finish(task, 'failed', {...changes, failureReason: decision.reason});
				break;
			case 'cancel':
				finisher.finish(task, 'cancelled', {...changes, cancelledBy: decision.by, failureReason: decision.reason});
				break;
			case 'requeue': {
				const next = transition(task, 'queued', clock.now(), {...changes, resumePending: true});
				delete next.worker;
				ledger.save(next, task.status);
				break;
			}
			case 'retry-later':
				this.#retryLater(task, changes, decision.delayMs, decision.reason);
				break;
			case 'recycle':
				this.#recycle(task, changes, decision.reason);
				break;
			case 'park':
				this.#park(task, changes, decision.until);
				break;
		}
	}

	/**
	 * Parked until the usage limit resets; that run is not counted as an attempt, since nothing was wrong with the
	 * task. It goes on from its conversation after the reset.
	 */
	#park(task: Task, changes: Partial<Task>, until: number): void {
		const {ledger, clock} = this.#ports;
		const next = transition(task, 'parked', clock.now(), {
			...changes,
			parkedUntil: until,
			attempts: Math.max(0, task.attempts - 1),
			resumePending: this.#ports.canResume(task),
		});
		delete next.worker;
		if (!ledger.save(next, task.status)) return;
		this.#ports.note(task.id, `[ccfleet] parked at the usage limit until ${new Date(until).toISOString()}; it goes on from its conversation then.\n`);
		this.#ports.onParked(next);
	}

	/** Back to the head of its line, to go on from its conversation in a fresh process; its log says why. */
	#recycle(task: Task, changes: Partial<Task>, reason: string): void {
		const {ledger, clock, queue} = this.#ports;
		const next = transition(task, 'queued', clock.now(), {...changes, resumePending: this.#ports.canResume(task)});
		delete next.worker;
		if (!ledger.save(next, task.status)) return;
		this.#ports.note(task.id, `[ccfleet] recycled: ${reason}.\n`);
		queue.push(task.id, task.priority, {first: true});
	}

	/** A passing failure: the task goes back to the head of its line, and no worker starts until the pause is over. */
	#retryLater(task: Task, changes: Partial<Task>, delayMs: number, reason: string): void {
		const {ledger, clock, admission, queue} = this.#ports;
		const next = transition(task, 'queued', clock.now(), {...changes, resumePending: this.#ports.canResume(task), failureReason: reason});
		delete next.worker;
		if (!ledger.save(next, task.status)) return;
		admission.holdUntil(clock.now() + delayMs, reason);
		this.#ports.note(task.id, `[ccfleet] ${reason}; trying again in ${formatDuration(delayMs)} (attempt ${task.attempts + 1} of ${this.#ports.maxAttempts}).\n`);
		queue.push(task.id, task.priority, {first: true});
	}
}
