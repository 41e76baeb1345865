import type {Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {Logger} from '../ports/logger.js';
import type {TakenOver, TaskCoordinator} from '../ports/task-coordinator.js';
import type {OutputLog} from '../ports/task-store.js';
import type {AdmissionVerdict} from './admission.js';
import {ProgressCheckpoints} from './progress-checkpoints.js';
import type {TaskLedger} from './task-ledger.js';
import {messageOf} from '../domain/errors.js';

/** How many doomed tasks (a dependency failed) one look takes; the next look takes more. */
const DOOMED_BATCH = 50;

export type SharedQueuePorts = {
	coordinator: TaskCoordinator;
	clock: Clock;
	ledger: TaskLedger;
	/** Each task's output here, for the progress checkpoints. */
	output: OutputLog;
	logger: Logger;
	/** Queued tasks of this host ready to start. */
	ready(): number;
	/** Live workers of this host. */
	running(): number;
	/** Whether this task has a live worker here. */
	hasWorker(taskId: string): boolean;
	/** Admission's verdict on one more start now. */
	verdict(): AdmissionVerdict;
	/** Workers that may run at once, when a ceiling is set. */
	ceiling(): number | undefined;
	/** Puts a task this host now holds where it belongs: its worktree, the dependency gate, the queue. */
	enqueue(task: Task): void;
	/** Takes a task out of the gate and the local queue. */
	unqueue(taskId: string): void;
	/** Stops a live worker of a task this host lost; its exit comes back through `exited`. */
	stopWorker(taskId: string, reason: string): void;
	pump(): void;
	note(taskId: string, text: string): void;
	report(message: string, cause: unknown): void;
};

/**
 * This host's share of a queue several hosts take work from (docs/research/multi-host-store.md §4.3–4.4). The local
 * queue holds only tasks this host claimed: when it runs dry while admission would start more, the queue is refilled
 * by a claim of as many as would start now (one claim in flight at a time). A heartbeat renews the leases and frees
 * the tasks of hosts that stopped beating; a task this host lost to another has its worker stopped without a word
 * written, since the new holder's state is the truth. Every few beats a running task's output tail is written as its
 * progress checkpoint, which a host that takes it over retells when the conversation is out of its reach.
 */
export class SharedQueue {
	readonly #ports: SharedQueuePorts;
	readonly #lost = new Set<string>();
	/** Claimed tasks taken from a host that was lost, until their worker starts here. */
	readonly #takenOver = new Map<string, TakenOver>();
	readonly #progress: ProgressCheckpoints;
	readonly #unsubscribe: (() => void)[] = [];
	#claiming: Promise<void> | undefined;
	#isClaimAgain = false;
	#lookingForDoomed = false;
	#cancelBeat: (() => void) | undefined;
	#cancelWake: (() => void) | undefined;
	#isStopped = false;
	#lastFailure: string | undefined;

	constructor(ports: SharedQueuePorts) {
		this.#ports = ports;
		this.#progress = new ProgressCheckpoints({
			ledger: ports.ledger,
			output: ports.output,
			clock: ports.clock,
			hostId: ports.coordinator.hostId,
			hasWorker: id => ports.hasWorker(id),
		});
	}

	get hostId(): string {
		return this.#ports.coordinator.hostId;
	}

	/** Starts beating, hearing of new work and of lost tasks. */
	start(): void {
		const {coordinator} = this.#ports;
		this.#unsubscribe.push(
			coordinator.onWork(() => {
				this.#ports.pump();
				this.#claimDoomed();
			}),
			coordinator.onLost((taskId, holder) => this.lost(taskId, holder)),
		);
		this.#beat();
	}

	/** After a pump: claims more when nothing of this host's is ready to start and admission would start one. */
	refill(): void {
		if (this.#isStopped || this.#ports.ready() > 0) return;
		if (this.#claiming) {
			this.#isClaimAgain = true;
			return;
		}
		const verdict = this.#ports.verdict();
		// The stagger only spaces start-ups: the claimed task waits its turn in the queue, whose pump wakes at the time.
		if (!verdict.admit && verdict.policy !== 'stagger') {
			if (verdict.until !== undefined) this.#wakeAt(verdict.until);
			return;
		}
		const ceiling = this.#ports.ceiling();
		const room = ceiling === undefined ? 1 : Math.max(1, ceiling - this.#ports.running());
		this.#claiming = this.#ports.coordinator.claim(room).then(
			tasks => this.#took(tasks),
			(error: unknown) => this.#failed('claim tasks', error),
		);
		void this.#claiming.finally(() => {
			this.#claiming = undefined;
			if (this.#isClaimAgain) {
				this.#isClaimAgain = false;
				this.#ports.pump();
			}
		});
	}

	/**
	 * A task this host held is held by another now: its worker stops and nothing more of it is written here. A task
	 * without a worker leaves the queue at once.
	 */
	lost(taskId: string, holder: string | undefined): void {
		const {ledger} = this.#ports;
		if (!ledger.active(taskId) || this.#lost.has(taskId)) return;
		const who = holder === undefined ? 'another host' : `host ${holder}`;
		this.#ports.note(taskId, `[ccfleet] host ${this.hostId} lost this task (its lease ran out; ${who} takes it on); its worker here stops and writes nothing more.\n`);
		this.#ports.logger.warn('lost a task to another host', {taskId, holder});
		if (this.#ports.hasWorker(taskId)) {
			this.#lost.add(taskId);
			this.#ports.stopWorker(taskId, `lost to ${who}`);
			return;
		}
		this.#takenOver.delete(taskId);
		this.#ports.unqueue(taskId);
		ledger.forget(taskId);
	}

	/**
	 * Where a task about to start here was taken over from (a host lost while it ran the task), once: the runner then
	 * starts it from its checkpoint's retelling, or resumes its conversation when that is reachable here.
	 */
	takeTakeover(taskId: string): TakenOver | undefined {
		const from = this.#takenOver.get(taskId);
		this.#takenOver.delete(taskId);
		return from;
	}

	/** A worker ended: true when its task was lost, and its exit is no one's to record here. */
	exited(taskId: string): boolean {
		if (!this.#lost.delete(taskId)) return false;
		this.#ports.ledger.forget(taskId);
		return true;
	}

	/** Stops claiming and beating; gives back the tasks claimed but not started. Running ones stay held for the next start. */
	async stop(): Promise<void> {
		if (this.#isStopped) return;
		this.#isStopped = true;
		this.#cancelBeat?.();
		this.#cancelWake?.();
		for (const unsubscribe of this.#unsubscribe) unsubscribe();
		await this.#claiming;
		const unstarted = [...this.#ports.ledger.activeTasks()].filter(task => task.status === 'queued' && !this.#ports.hasWorker(task.id)).map(task => task.id);
		for (const id of unstarted) {
			this.#takenOver.delete(id);
			this.#ports.unqueue(id);
			this.#ports.ledger.forget(id);
		}
		if (unstarted.length === 0) return;
		await this.#ports.coordinator.release(unstarted).catch((error: unknown) => this.#failed('give back unstarted tasks', error));
	}

	#took(tasks: Task[]): void {
		if (this.#isStopped) {
			void this.#ports.coordinator.release(tasks.map(task => task.id)).catch((error: unknown) => this.#failed('give back tasks', error));
			return;
		}
		this.#lastFailure = undefined;
		for (const task of tasks) {
			// Asked once per claimed task (the coordinator forgets it then); one that never ran has nothing to go on from.
			const from = task.attempts > 0 ? this.#ports.coordinator.takenOver?.(task.id) : undefined;
			if (this.#ports.ledger.active(task.id)) continue;
			if (from) this.#takenOver.set(task.id, from);
			this.#ports.ledger.adopt(task);
			this.#ports.enqueue(task);
		}
		if (tasks.length > 0) this.#ports.pump();
	}

	#claimDoomed(): void {
		if (this.#isStopped || this.#lookingForDoomed) return;
		this.#lookingForDoomed = true;
		this.#ports.coordinator
			.claimDoomed(DOOMED_BATCH)
			.then(
				tasks => this.#took(tasks),
				(error: unknown) => this.#failed('claim tasks a failed dependency ends', error),
			)
			.finally(() => {
				this.#lookingForDoomed = false;
			});
	}

	/**
	 * Renews the leases, then frees expired ones. Only tasks held before the beat was sent are judged by its answer: one
	 * claimed while it was on its way is missing from it without being lost (race 2 in the design note).
	 */
	#beat(): void {
		if (this.#isStopped) return;
		const {coordinator, ledger} = this.#ports;
		const before = [...ledger.activeTasks()].map(task => task.id);
		void coordinator
			.heartbeat()
			.then(async held => {
				const holds = new Set(held);
				for (const id of before) if (!holds.has(id)) this.lost(id, undefined);
				this.#progress.beat();
				await coordinator.reclaimExpired();
				this.#lastFailure = undefined;
			})
			.catch((error: unknown) => this.#failed('renew its leases', error))
			.finally(() => {
				if (this.#isStopped) return;
				this.#ports.pump();
				this.#claimDoomed();
				this.#cancelBeat = this.#ports.clock.setTimeout(() => this.#beat(), Math.max(1, Math.floor(coordinator.leaseMs / 3)));
			});
	}

	#wakeAt(until: number): void {
		if (this.#cancelWake) return;
		this.#cancelWake = this.#ports.clock.setTimeout(
			() => {
				this.#cancelWake = undefined;
				this.#ports.pump();
			},
			Math.max(0, until - this.#ports.clock.now()),
		);
	}

	/** Said once per spell of failures: the shared database is down or unreachable, and every beat would say it again. */
	#failed(what: string, error: unknown): void {
		const message = messageOf(error);
		if (this.#lastFailure === message) return;
		this.#lastFailure = message;
		this.#ports.report(`Host ${this.hostId} could not ${what} in the shared database: ${message}. It tries again at its next heartbeat.`, error);
	}
}
