// Longer than ~300 lines for a reason: every rule here acts on the same live-worker record at the same moments (its
// state changes, its memory samples, its exit): memory recycling and the pty budget stop wait for a turn boundary the
// state tells, and the permission desk is asked before a question is shown. Split apart they would share that record.
import {InvalidInputError, messageOf} from '../domain/errors.js';
import {transition, type Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {SystemMonitor} from '../ports/system-monitor.js';
import type {
	PermissionDecision,
	PermissionQuestion,
	WorkerDriver,
	WorkerExit,
	WorkerHandle,
	WorkerActivity,
	WorkerSpec,
	WorkerState,
	WorkerUsage,
	UsageLimitReport,
} from '../ports/worker-driver.js';
import type {EventBus} from '../events.js';
import type {StopIntent} from './exit-policy.js';
import type {QuestionDesk} from './question-desk.js';
import type {TaskLedger} from './task-ledger.js';

export type WorkerView = {
	taskId: string;
	state: WorkerState;
	question?: PermissionQuestion;
	/** Resident memory of the worker and everything it started, as last sampled. */
	rssBytes?: number;
	/** The tool it runs now, while a turn uses one. */
	activity?: WorkerActivity;
};

/** A terminal connection to a live worker, for a person attached to it. */
export type Attachment = {write: (data: string) => void; resize: (columns: number, rows: number) => void; detach: () => void};

type LiveWorker = {
	handle?: WorkerHandle;
	state: WorkerState;
	question?: PermissionQuestion;
	stopping?: StopIntent;
	rssBytes?: number;
	activity?: WorkerActivity;
	/** Watched here only for a pty worker: claude enforces a headless worker's budget itself. */
	maxBudgetUsd?: number;
	cancelTimeout: () => void;
	exited: Promise<void>;
	markExited: () => void;
};

export type SupervisorPorts = {
	driver: WorkerDriver;
	clock: Clock;
	system: SystemMonitor;
	ledger: TaskLedger;
	bus: EventBus;
	/** Appends a worker's output to its task's log and announces it. */
	output(taskId: string, text: string): void;
	/** Releases the log of a task whose worker will write no more. */
	closeOutput(taskId: string): void;
	/** A worker ended: what it means for its task is the fleet's to decide. Called once per worker. */
	onExit(task: Task, exit: WorkerExit, stopping: StopIntent | undefined): void;
	report(message: string, cause: unknown): void;
	/** How often every live worker's memory is measured. */
	memorySampleMs: number;
	/** Each live worker's measured memory by task id, after every sample. */
	onMemorySampled(bytesByTask: ReadonlyMap<string, number>): void;
	/** A worker reported on the account's usage limit. */
	onUsageLimit(taskId: string, report: UsageLimitReport): void;
	/** claude will retry a turned-away request of this worker after a delay. */
	onRetrying(taskId: string, retry: {delayMs: number; error: string}): void;
	/** A worker whose process tree grows past this is recycled (see #recycleIfOversized); read each time, so it can change. */
	maxRssBytes(): number;
	/** Answers questions by the permission rules, and keeps those left for a person. */
	questions: QuestionDesk;
};

/** A worker this far over the cap is recycled even in the middle of its work: waiting for a pause could topple the machine. */
const HARD_RSS_FACTOR = 1.5;

/**
 * The live workers: starts each through the driver, keeps its state and question, times it out, passes answers and
 * keys to it, stops it, and hands its exit to the fleet exactly once.
 */
export class WorkerSupervisor {
	readonly #ports: SupervisorPorts;
	readonly #workers = new Map<string, LiveWorker>();
	#cancelSampler: (() => void) | undefined;
	#isStopping = false;

	constructor(ports: SupervisorPorts) {
		this.#ports = ports;
	}

	get size(): number {
		return this.#workers.size;
	}

	has(taskId: string): boolean {
		return this.#workers.has(taskId);
	}

	/** Starts the worker of a task that is already `running`; a driver that throws ends it as a failed start. */
	start(task: Task, spec: WorkerSpec): void {
		let markExited!: () => void;
		const exited = new Promise<void>(resolve => {
			markExited = resolve;
		});
		const worker: LiveWorker = {
			state: 'starting',
			cancelTimeout: this.#ports.clock.setTimeout(() => this.#timeOut(task.id), task.timeoutMs),
			exited,
			markExited,
			...(spec.mode === 'pty' && spec.maxBudgetUsd !== undefined ? {maxBudgetUsd: spec.maxBudgetUsd} : {}),
		};
		this.#workers.set(task.id, worker);
		this.#sampleMemoryWhileWorkersRun();
		try {
			worker.handle = this.#ports.driver.start(spec, {
				onSpawned: process => this.#ports.ledger.update(task.id, {worker: process}),
				onState: (state, question) => this.#onState(task.id, state, question),
				onOutput: text => {
					if (this.#workers.has(task.id)) this.#ports.output(task.id, text);
				},
				onUsage: (usage: WorkerUsage) => {
					this.#ports.ledger.update(task.id, {costUsd: usage.costUsd, tokens: usage.tokens});
					this.#stopIfOverBudget(task.id);
				},
				onExit: exit => this.#onExit(task.id, exit),
				onUsageLimit: report => {
					if (this.#workers.has(task.id)) this.#ports.onUsageLimit(task.id, report);
				},
				onRetrying: retry => {
					if (this.#workers.has(task.id)) this.#ports.onRetrying(task.id, retry);
				},
				onActivity: activity => this.#onActivity(task.id, activity),
			});
		} catch (error) {
			this.#onExit(task.id, {exitCode: null, signal: null, error: `The worker could not start: ${messageOf(error)}`});
		}
	}

	view(taskId: string): WorkerView | undefined {
		const worker = this.#workers.get(taskId);
		if (!worker) return undefined;
		return {
			taskId,
			state: worker.state,
			...(worker.question ? {question: worker.question} : {}),
			...(worker.rssBytes === undefined ? {} : {rssBytes: worker.rssBytes}),
			...(worker.activity ? {activity: worker.activity} : {}),
		};
	}

	views(): WorkerView[] {
		return [...this.#workers.keys()].map(id => this.view(id)!);
	}

	/**
	 * Measures the workers' memory on a timer while any run, so that no request waits for a scan of the process table;
	 * with no worker there is no timer.
	 */
	#sampleMemoryWhileWorkersRun(): void {
		if (this.#cancelSampler || this.#isStopping) return;
		this.#cancelSampler = this.#ports.clock.setTimeout(() => {
			this.sampleMemory()
				.catch((error: unknown) => this.#ports.report(`Could not measure the workers' memory: ${String(error)}`, error))
				.finally(() => {
					this.#cancelSampler = undefined;
					if (this.#workers.size > 0) this.#sampleMemoryWhileWorkersRun();
				});
		}, this.#ports.memorySampleMs);
	}

	#stopSampling(): void {
		this.#cancelSampler?.();
		this.#cancelSampler = undefined;
	}

	/**
	 * Measures every live worker's memory in one look at the process table, off any request's path: views read the
	 * last sample instead of scanning /proc each time they are asked.
	 */
	async sampleMemory(): Promise<void> {
		const processes = [...this.#workers.keys()].flatMap(id => this.#ports.ledger.active(id)?.worker ?? []);
		if (processes.length === 0) return;
		const bytes = await this.#ports.system.memoryOfWorkers(processes);
		const byTask = new Map<string, number>();
		for (const [id, worker] of this.#workers) {
			const pid = this.#ports.ledger.active(id)?.worker?.pid;
			const sampled = pid === undefined ? undefined : bytes.get(pid);
			if (sampled === undefined) continue;
			worker.rssBytes = sampled;
			byTask.set(id, sampled);
		}
		this.#ports.onMemorySampled(byTask);
		for (const id of byTask.keys()) this.#recycleIfOversized(id);
	}

	/**
	 * A worker over CCFLEET_WORKER_MAX_RSS is stopped and goes on from its conversation in a fresh process, which
	 * gives back whatever the old one had grown to. That happens while it waits for an answer (nothing is lost but the
	 * question, which it asks again), or at once when it is far over the cap.
	 */
	#recycleIfOversized(taskId: string): void {
		const worker = this.#workers.get(taskId);
		const max = this.#ports.maxRssBytes();
		if (!worker?.rssBytes || worker.stopping || worker.rssBytes <= max) return;
		if (worker.state !== 'needs_input' && worker.rssBytes < max * HARD_RSS_FACTOR) return;
		void this.stop(taskId, {kind: 'recycle', rssBytes: worker.rssBytes, maxRssBytes: max}, 'recycled: its memory passed CCFLEET_WORKER_MAX_RSS');
	}

	/**
	 * A pty worker whose cost reached its task's budget is stopped at a turn boundary or while it waits, never in the
	 * middle of a turn, where it could leave a file half written; claude stops a headless one by itself.
	 */
	#stopIfOverBudget(taskId: string): void {
		const worker = this.#workers.get(taskId);
		const costUsd = this.#ports.ledger.active(taskId)?.costUsd ?? 0;
		if (worker?.maxBudgetUsd === undefined || worker.stopping || costUsd < worker.maxBudgetUsd) return;
		if (worker.state !== 'idle' && worker.state !== 'needs_input') return;
		void this.stop(taskId, {kind: 'budget', costUsd, maxBudgetUsd: worker.maxBudgetUsd}, 'stopped: it spent its budget (maxBudgetUsd)');
	}

	screen(taskId: string): string[] {
		return this.#workers.get(taskId)?.handle?.screen() ?? [];
	}

	/** Answers the permission question a worker waits on; false if it waits on none. */
	answer(taskId: string, decision: PermissionDecision): boolean {
		const worker = this.#workers.get(taskId);
		return Boolean(worker?.handle && worker.question && worker.handle.answer(decision));
	}

	/** The question a worker waits on, if it waits on one. */
	question(taskId: string): PermissionQuestion | undefined {
		return this.#workers.get(taskId)?.question;
	}

	/** Types into a live worker; false when there is none. */
	write(taskId: string, text: string): boolean {
		const handle = this.#workers.get(taskId)?.handle;
		if (!handle) return false;
		handle.write(text);
		return true;
	}

	attach(task: Task, onData: (data: string) => void, size: {columns: number; rows: number}): Attachment {
		const handle = this.#workers.get(task.id)?.handle;
		if (!handle) throw new InvalidInputError(`Task ${task.id} has no live worker to attach to (it is ${task.status}).`);
		if (!handle.attach || !handle.resize) {
			throw new InvalidInputError(
				`Task ${task.id} runs headless (claude -p), which has no terminal to attach to. Use \`ccfleet logs ${task.id} --follow\` to watch it.`,
			);
		}
		const detach = handle.attach(onData);
		handle.resize(size.columns, size.rows);
		return {write: data => handle.write(data), resize: (columns, rows) => handle.resize?.(columns, rows), detach};
	}

	/** Stops a worker for `intent` (the first intent given wins) and resolves once its exit was handled. */
	async stop(taskId: string, intent: StopIntent, reason: string): Promise<void> {
		const worker = this.#workers.get(taskId);
		if (!worker) return;
		worker.stopping ??= intent;
		try {
			await worker.handle?.stop(reason);
		} catch (error) {
			this.#ports.report(`Stopping the worker of task ${taskId} failed: ${String(error)}`, error);
		}
		await worker.exited;
	}

	/** Stops every worker and resolves once every exit was handled. */
	async stopAll(intent: StopIntent, reason: string): Promise<void> {
		this.#isStopping = true;
		this.#stopSampling();
		await Promise.all([...this.#workers.keys()].map(id => this.stop(id, intent, reason)));
	}

	#timeOut(taskId: string): void {
		void this.stop(taskId, {kind: 'timeout'}, 'timed out');
	}

	/** The tool a worker uses now reaches the views like a state change (same state, new activity). */
	#onActivity(taskId: string, activity: WorkerActivity): void {
		const worker = this.#workers.get(taskId);
		if (!worker || worker.stopping) return;
		worker.activity = activity;
		this.#ports.bus.emit('worker:state', {taskId, state: worker.state, ...(worker.question ? {question: worker.question} : {})});
	}

	#onState(taskId: string, state: WorkerState, question?: PermissionQuestion): void {
		const worker = this.#workers.get(taskId);
		const task = this.#ports.ledger.active(taskId);
		if (!worker || !task) return;
		worker.state = state;
		if (state === 'idle') delete worker.activity;
		if (state === 'needs_input') worker.question = question;
		else delete worker.question;
		if (state !== 'needs_input') this.#ports.questions.settle(taskId);
		else if (question && this.#answerByRules(task, question)) return;
		const now = this.#ports.clock.now();
		if (state === 'needs_input' && task.status === 'running') this.#ports.ledger.save(transition(task, 'needs_input', now), task.status);
		if (state !== 'needs_input' && task.status === 'needs_input') this.#ports.ledger.save(transition(task, 'running', now), task.status);
		this.#ports.bus.emit('worker:state', {taskId, state, ...(question ? {question} : {})});
		if (state === 'needs_input') this.#recycleIfOversized(taskId);
		this.#stopIfOverBudget(taskId);
	}

	/**
	 * A question the permission rules answer never reaches anyone: the worker is answered at once (and moves on before
	 * its task is shown waiting). Any other question waits in the inbox.
	 */
	#answerByRules(task: Task, question: PermissionQuestion): boolean {
		const desk = this.#ports.questions;
		const ruled = desk.decide(task, question);
		if (ruled && this.answer(task.id, ruled.decision)) {
			desk.record(task.id, question, ruled.decision, 'rule', ruled.rules);
			return true;
		}
		desk.open(task.id, question);
		return false;
	}

	#onExit(taskId: string, exit: WorkerExit): void {
		const worker = this.#workers.get(taskId);
		const task = this.#ports.ledger.active(taskId);
		if (!worker || !task) return;
		worker.cancelTimeout();
		this.#ports.questions.settle(taskId);
		this.#workers.delete(taskId);
		if (this.#workers.size === 0) this.#stopSampling();
		this.#ports.closeOutput(taskId);
		try {
			this.#ports.onExit(task, exit, worker.stopping);
		} finally {
			worker.markExited();
		}
	}
}
