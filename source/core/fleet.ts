import {FleetStoppedError, InvalidInputError, TaskNotFoundError} from './domain/errors.js';
import {
	createTask,
	isTerminal,
	PRIORITIES,
	transition,
	type Priority,
	type NewTaskInput,
	type Task,
	type TaskDefaults,
	type TaskStatus,
} from './domain/task.js';
import {CHECKPOINT_OUTPUT_LINES, continuationPreamble, failedDependenciesNote, takeCheckpoint} from './domain/checkpoint.js';
import {findCycle} from './dag.js';
import {DependencyTracker} from './dependencies.js';
import {ROLES} from './domain/roles.js';
import {dependenciesOf, validateTaskInput} from './domain/task-input.js';
import {EventBus, type FleetEventName, type FleetEvents} from './events.js';
import type {GitInspector} from './ports/git.js';
import type {Workspaces} from './ports/workspace.js';
import {OutputTail} from './output-tail.js';
import type {Clock} from './ports/clock.js';
import type {IdSource} from './ports/ids.js';
import {silentLogger, type Logger} from './ports/logger.js';
import type {SystemMonitor, SystemSample} from './ports/system-monitor.js';
import type {OutputLog, OutputRead, TaskFilter, TaskStore} from './ports/task-store.js';
import type {
	PermissionDecision,
	PermissionQuestion,
	WorkerDriver,
	WorkerExit,
	WorkerHandle,
	WorkerState,
	WorkerUsage,
} from './ports/worker-driver.js';
import {PriorityQueue} from './queue.js';

export type FleetPorts = {
	store: TaskStore;
	output: OutputLog;
	driver: WorkerDriver;
	clock: Clock;
	system: SystemMonitor;
	ids: IdSource;
	logger?: Logger;
	/** For the git part of checkpoints; without it checkpoints have none. */
	git?: GitInspector;
	/** For tasks isolated in a git worktree; without it such tasks are refused. */
	workspaces?: Workspaces;
};

export type FleetOptions = {
	/** Workers that may run at once. */
	maxWorkers: number;
	/** Least time between two worker start-ups: concurrent claude start-ups race on their shared config file. */
	staggerMs: number;
	defaults: TaskDefaults;
	/** A task whose worker was lost this many times is failed instead of started again. */
	maxAttempts: number;
	/** Lines of output kept in memory per live worker. */
	tailLines: number;
	/** Largest prompt accepted, in characters. */
	maxPromptChars: number;
	/** First wait before a task that failed for a passing reason (rate limit, overload) runs again; doubles each time. */
	retryBaseMs: number;
};

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
	maxWorkers: 4,
	staggerMs: 250,
	defaults: {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 30 * 60_000},
	maxAttempts: 3,
	tailLines: 500,
	maxPromptChars: 16 * 1024 * 1024,
	retryBaseMs: 10_000,
};

/** Why a running worker is being stopped; decides how its task ends. */
type StopIntent =
	| {kind: 'cancel'; by: string; reason: string}
	| {kind: 'timeout'}
	| {kind: 'shutdown'};

type LiveWorker = {
	handle?: WorkerHandle;
	state: WorkerState;
	question?: PermissionQuestion;
	tail: OutputTail;
	stopping?: StopIntent;
	cancelTimeout: () => void;
	exited: Promise<void>;
	markExited: () => void;
};

export type RecoveryReport = {
	queued: number;
	resumed: number;
	restarted: number;
	failed: number;
};

export type WorkerView = {
	taskId: string;
	state: WorkerState;
	question?: PermissionQuestion;
	/** Resident memory of the worker and everything it started. */
	rssBytes?: number;
};

export type FleetCounts = Record<TaskStatus, number>;

/**
 * The one owner of the queue, the workers and recovery. Every face (dashboard, MCP, CLI, daemon) is its client.
 * All state changes go through here, are written to the store first, then announced on the bus.
 */
export class Fleet {
	readonly #store: TaskStore;
	readonly #output: OutputLog;
	readonly #driver: WorkerDriver;
	readonly #clock: Clock;
	readonly #system: SystemMonitor;
	readonly #ids: IdSource;
	readonly #logger: Logger;
	readonly #options: FleetOptions;
	readonly #bus = new EventBus();
	readonly #queue = new PriorityQueue();
	/** Tasks that are not yet terminal, by id. Terminal tasks are read from the store. */
	readonly #active = new Map<string, Task>();
	readonly #workers = new Map<string, LiveWorker>();
	readonly #dependencies = new DependencyTracker();
	readonly #git: GitInspector | undefined;
	readonly #workspaces: Workspaces | undefined;
	/**
	 * When the API turned one worker away (rate limit, overload), no new worker starts until then: starting more
	 * would only meet the same answer and deepen the limit.
	 */
	#backoff: {until: number; reason: string} | undefined;
	#lastSpawnAt = Number.NEGATIVE_INFINITY;
	#cancelPumpTimer: (() => void) | undefined;
	#phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

	constructor(ports: FleetPorts, options: Partial<FleetOptions> = {}) {
		this.#store = ports.store;
		this.#output = ports.output;
		this.#driver = ports.driver;
		this.#clock = ports.clock;
		this.#system = ports.system;
		this.#ids = ports.ids;
		this.#logger = ports.logger ?? silentLogger;
		this.#git = ports.git;
		this.#workspaces = ports.workspaces;
		this.#options = {...DEFAULT_FLEET_OPTIONS, ...options};
		if (!Number.isInteger(this.#options.maxWorkers) || this.#options.maxWorkers < 1) {
			throw new TypeError(`maxWorkers must be a whole number of at least 1, got ${this.#options.maxWorkers}.`);
		}
	}

	get options(): Readonly<FleetOptions> {
		return this.#options;
	}

	on<E extends FleetEventName>(event: E, listener: (payload: FleetEvents[E]) => void): () => void {
		return this.#bus.on(event, listener);
	}

	/**
	 * Accounts for every task left unfinished by an earlier run (resumed, restarted or failed with the reason),
	 * then starts taking work. Call once.
	 */
	async start(): Promise<RecoveryReport> {
		if (this.#phase !== 'new') throw new Error('Fleet.start() may be called once.');
		this.#phase = 'running';
		const report: RecoveryReport = {queued: 0, resumed: 0, restarted: 0, failed: 0};
		for (const task of this.#store.list({statuses: ['queued', 'running', 'needs_input']})) {
			if (task.status === 'queued') {
				this.#active.set(task.id, task);
				this.#enqueueWhenReady(task);
				report.queued++;
				continue;
			}
			await this.#recoverLost(task, report);
		}
		this.#logger.info('fleet started', report);
		this.#pump();
		return report;
	}

	async #recoverLost(task: Task, report: RecoveryReport): Promise<void> {
		// Its pty died with the old core, so even a live worker cannot be reattached: end it and whatever it
		// started, then continue the conversation.
		if (task.worker) {
			if (this.#system.isAlive(task.worker)) this.#logger.warn('ending a worker left over from a previous run', {taskId: task.id, pid: task.worker.pid});
			await this.#system.killTree(task.worker, task.id);
		}
		const now = this.#clock.now();
		let next: Task;
		if (task.attempts >= this.#options.maxAttempts) {
			next = transition(task, 'failed', now, {
				failureReason: `Its worker was lost ${task.attempts} times (ccfleet stopped or crashed while it ran); not started again. Retry it if it should run.`,
			});
			report.failed++;
		} else if (this.#canResume(task)) {
			next = transition(task, 'queued', now, {resumePending: true});
			report.resumed++;
		} else {
			next = transition(task, 'queued', now, {resumePending: false});
			report.restarted++;
		}
		delete next.worker;
		this.#save(next, task.status);
		if (next.status === 'queued') this.#enqueueOrWait(next);
	}

	/** Validates and queues a new task. Throws InvalidInputError naming the bad field. */
	submit(input: NewTaskInput): Task {
		return this.#create(input, {});
	}

	/** `extra` (lineage, a session to resume) is part of the task from its first write, before it can start. */
	#create(input: NewTaskInput, extra: Partial<Task>): Task {
		if (this.#phase === 'stopping' || this.#phase === 'stopped') throw new FleetStoppedError();
		validateTaskInput(input, {
			maxPromptChars: this.#options.maxPromptChars,
			isKnownTask: id => this.#active.has(id) || this.#store.get(id) !== undefined,
		});
		const task: Task = {
			...createTask(input, {id: this.#ids.taskId(), sessionId: this.#ids.sessionId()}, this.#clock.now(), this.#options.defaults),
			...extra,
		};
		if (task.isolation === 'worktree' && !this.#workspaces) {
			throw new InvalidInputError('Worktree isolation is not available in this ccfleet (no git). Run the task without isolation.');
		}
		this.#store.insert(task);
		this.#active.set(task.id, task);
		this.#bus.emit('task:created', {task});
		this.#enqueueWhenReady(task);
		this.#pump();
		return this.get(task.id);
	}

	/** Whether the task's Claude conversation is on disk (under the directory its worker ran in). */
	#canResume(task: Task): boolean {
		return this.#driver.canResume({cwd: workingDirectory(task), sessionId: task.sessionId});
	}

	/** A task isolated in a worktree is queued once its worktree exists; any other at once. */
	#enqueueWhenReady(task: Task): void {
		if (task.isolation !== 'worktree' || task.worktree) {
			this.#enqueueOrWait(task);
			return;
		}
		void this.#workspaces!.create(task.cwd, task.id).then(
			worktree => {
				const current = this.#active.get(task.id);
				if (current?.status !== 'queued') return;
				this.#update(task.id, {worktree});
				this.#enqueueOrWait(this.get(task.id));
				this.#pump();
			},
			(error: unknown) => {
				const current = this.#active.get(task.id);
				if (current?.status === 'queued') this.#finish(current, 'failed', {failureReason: `Its worktree could not be made: ${errorMessage(error)}`});
			},
		);
	}


	/** Queues a task whose dependencies have all completed; otherwise it waits, or ends as its policy says. */
	#enqueueOrWait(task: Task): void {
		const unmet: string[] = [];
		for (const id of dependenciesOf(task)) {
			const dependency = this.#active.get(id) ?? this.#store.get(id);
			if (!dependency || dependency.status === 'completed') continue;
			if (!isTerminal(dependency.status)) {
				unmet.push(id);
				continue;
			}
			if ((task.onDependencyFailure ?? 'fail') !== 'run') {
				this.#endForDependency(task, dependency);
				return;
			}
		}
		if (unmet.length > 0) this.#dependencies.track(task.id, unmet);
		else this.#queue.push(task.id, task.priority);
	}

	/** A dependency ended: release, fail or skip the tasks that waited on it. */
	#releaseDependents(dependency: Task): void {
		for (const {taskId, remaining} of this.#dependencies.resolve(dependency.id)) {
			const task = this.#active.get(taskId);
			if (task?.status !== 'queued') continue;
			if (dependency.status !== 'completed' && (task.onDependencyFailure ?? 'fail') !== 'run') {
				this.#dependencies.untrack(taskId);
				this.#endForDependency(task, dependency);
				continue;
			}
			if (remaining === 0) this.#queue.push(taskId, task.priority);
		}
		this.#pump();
	}

	#endForDependency(task: Task, dependency: Task): void {
		const why = `dependency ${dependency.id} ${dependency.status}${dependency.failureReason ? ` (${dependency.failureReason})` : ''}`;
		if (task.onDependencyFailure === 'skip') this.#finish(task, 'skipped', {failureReason: `Skipped: ${why}.`});
		else this.#finish(task, 'failed', {failureReason: `Not started: ${why}.`});
	}

	/**
	 * Makes a queued task also wait for `dependsOn`. Refused, naming the cycle, when that would make tasks wait
	 * on each other in a circle.
	 */
	addDependencies(id: string, dependsOn: string[]): Task {
		const task = this.get(id);
		if (task.status !== 'queued') throw new InvalidInputError(`Task ${id} is ${task.status}; only a queued task can get new dependencies.`);
		for (const dependency of dependsOn) {
			if (dependency === id) throw new InvalidInputError(`Task ${id} cannot depend on itself.`);
			if (!this.#active.has(dependency) && !this.#store.get(dependency)) {
				throw new InvalidInputError(`The dependency "${dependency}" is not a known task. Depend on tasks that exist (see \`ccfleet status\`).`);
			}
		}
		const graph = new Map<string, string[]>();
		for (const active of this.#active.values()) graph.set(active.id, dependenciesOf(active));
		graph.set(id, [...new Set([...dependenciesOf(task), ...dependsOn])]);
		const cycle = findCycle(graph, [id]);
		if (cycle) throw new InvalidInputError(`That would make tasks wait on each other in a cycle: ${cycle.join(' → ')}. Remove one of these dependencies.`);
		this.#queue.remove(id);
		this.#dependencies.untrack(id);
		this.#update(id, {dependsOn: [...new Set([...(task.dependsOn ?? []), ...dependsOn])]});
		this.#enqueueOrWait(this.get(id));
		this.#pump();
		return this.get(id);
	}

	/** What a task waits on before it can run (empty when it is runnable or not queued). */
	waitingOn(id: string): string[] {
		return this.#dependencies.waitingOn(id);
	}


	/** The task with that id; throws TaskNotFoundError. */
	get(id: string): Task {
		const task = this.#active.get(id) ?? this.#store.get(id);
		if (!task) throw new TaskNotFoundError(id);
		return task;
	}

	list(filter?: TaskFilter): Task[] {
		return this.#store.list(filter);
	}

	/** 1-based place of a task in the running order; 0 when it is not ready to run (not queued, or waiting). */
	queuePosition(id: string): number {
		return this.#queue.position(id);
	}

	/** Ids of queued tasks in the order they will run. */
	queueOrder(): string[] {
		return this.#queue.toArray();
	}

	counts(): FleetCounts {
		return this.#store.countByStatus();
	}

	worker(id: string): WorkerView | undefined {
		const worker = this.#workers.get(id);
		if (!worker) return undefined;
		const process = this.#active.get(id)?.worker;
		const rssBytes = process ? this.#system.memoryOf(process) : undefined;
		return {taskId: id, state: worker.state, ...(worker.question ? {question: worker.question} : {}), ...(rssBytes === undefined ? {} : {rssBytes})};
	}

	workers(): WorkerView[] {
		return [...this.#workers.keys()].map(id => this.worker(id)!);
	}

	/** The task's output log (capped), whole or its last lines. */
	logs(id: string, options?: {tailLines?: number}): OutputRead {
		this.get(id);
		return this.#output.read(id, options);
	}

	/** The live worker's screen, or an empty list when it has none. */
	screen(id: string): string[] {
		return this.#workers.get(id)?.handle?.screen() ?? [];
	}

	/** Last lines of a live worker's output from memory, without touching the log file. */
	tail(id: string, lines?: number): string[] {
		return this.#workers.get(id)?.tail.lines(lines) ?? [];
	}

	/** Runs a finished task again from scratch as a new task (same prompt and settings, a new conversation). */
	retry(id: string): Task {
		const original = this.#ended(id, 'retry');
		return this.#submitDerived(original, {prompt: original.prompt}, {retryOf: original.id});
	}

	/**
	 * Continues a finished task as a new task. When its Claude conversation is on disk the new task resumes it
	 * (`claude --resume`), told `additionalContext` (or just to continue); otherwise it starts afresh with a
	 * prompt that retells the task, its outcome and the additional context.
	 */
	resume(id: string, additionalContext?: string): Task {
		const parent = this.#ended(id, 'resume');
		const context = additionalContext?.trim();
		if (this.#canResume(parent)) {
			const prompt = context || 'Continue the task from where you stopped and finish it.';
			return this.#submitDerived(parent, {prompt}, {parentTaskId: parent.id, sessionId: parent.sessionId, resumePending: true});
		}
		return this.#submitDerived(parent, {prompt: retellPrompt(parent, context)}, {parentTaskId: parent.id});
	}

	#ended(id: string, action: string): Task {
		const task = this.get(id);
		if (!isTerminal(task.status)) {
			throw new InvalidInputError(`Task ${id} is still ${task.status}; only a finished task can ${action}. Cancel it first, or wait for it.`);
		}
		return task;
	}

	#submitDerived(from: Task, input: {prompt: string}, lineage: Partial<Task>): Task {
		return this.#create(
			{
				prompt: input.prompt,
				cwd: from.cwd,
				priority: from.priority,
				permissionMode: from.permissionMode,
				mode: from.mode,
				...(from.role ? {role: from.role} : {}),
				timeoutMs: from.timeoutMs,
				...(from.model ? {model: from.model} : {}),
				...(from.maxOutputBytes ? {maxOutputBytes: from.maxOutputBytes} : {}),
			},
			lineage,
		);
	}

	/** Moves a queued task to another priority; it goes to the back of that priority's line. */
	reprioritize(id: string, priority: Priority): Task {
		if (!PRIORITIES.includes(priority)) throw new InvalidInputError(`Unknown priority ${JSON.stringify(priority)}; use one of ${PRIORITIES.join(', ')}.`);
		const task = this.get(id);
		if (task.status !== 'queued') throw new InvalidInputError(`Task ${id} is ${task.status}; only a queued task can change priority.`);
		if (task.priority === priority) return task;
		this.#queue.remove(id);
		this.#queue.push(id, priority);
		this.#update(id, {priority});
		return this.get(id);
	}

	/** Types text into a live worker, as a person attached to it would (a line ends with Enter). */
	sendInput(id: string, text: string): Task {
		const task = this.get(id);
		const worker = this.#workers.get(id);
		if (!worker?.handle) throw new InvalidInputError(`Task ${id} has no live worker (it is ${task.status}); there is nothing to type into.`);
		worker.handle.write(text);
		return task;
	}

	/** CPU and memory of the machine now. */
	sampleSystem(): Promise<SystemSample> {
		return this.#system.sample();
	}

	/**
	 * Connects a person to a live worker's terminal: its output as it comes, their keys straight to it, at
	 * their terminal's size. Throws if the worker has no terminal (headless) or none runs.
	 */
	attach(id: string, onData: (data: string) => void, size: {columns: number; rows: number}): {write: (data: string) => void; resize: (columns: number, rows: number) => void; detach: () => void} {
		const task = this.get(id);
		const handle = this.#workers.get(id)?.handle;
		if (!handle) throw new InvalidInputError(`Task ${id} has no live worker to attach to (it is ${task.status}).`);
		if (!handle.attach || !handle.resize) {
			throw new InvalidInputError(`Task ${id} runs headless (claude -p), which has no terminal to attach to. Use \`ccfleet logs ${id} --follow\` to watch it.`);
		}
		const detach = handle.attach(onData);
		handle.resize(size.columns, size.rows);
		return {write: data => handle.write(data), resize: (columns, rows) => handle.resize?.(columns, rows), detach};
	}

	/** The fleet-wide pause on new workers after the API turned one away, while it lasts. */
	backoff(): {until: number; reason: string} | undefined {
		return this.#backoff && this.#backoff.until > this.#clock.now() ? {...this.#backoff} : undefined;
	}

	/** Total estimated cost of every task so far, in USD. */
	totalCostUsd(): number {
		return this.#store.totalCostUsd();
	}

	/** Answers the permission question a worker waits on. Throws if the task waits on none. */
	respond(id: string, decision: PermissionDecision): Task {
		const task = this.get(id);
		const worker = this.#workers.get(id);
		if (!worker?.handle || !worker.question || !worker.handle.answer(decision)) {
			throw new InvalidInputError(`Task ${id} is not waiting for a permission answer (it is ${task.status}). Check \`ccfleet status ${id}\`.`);
		}
		return this.get(id);
	}

	/**
	 * Cancels a task: a queued one at once, a running one by ending its whole process tree.
	 * Resolves with the task in its final state. Cancelling a finished task is refused.
	 */
	async cancel(id: string, {by, reason}: {by: string; reason?: string}): Promise<Task> {
		const task = this.get(id);
		const why = reason?.trim() || 'no reason given';
		if (isTerminal(task.status)) {
			throw new InvalidInputError(`Task ${id} already ended (${task.status}); there is nothing to cancel.`);
		}
		const worker = this.#workers.get(id);
		if (!worker) {
			this.#queue.remove(id);
			this.#dependencies.untrack(id);
			this.#finish(task, 'cancelled', {cancelledBy: by, failureReason: why});
			this.#pump();
			return this.get(id);
		}
		worker.stopping ??= {kind: 'cancel', by, reason: why};
		await this.#stopWorker(id, worker, `cancelled by ${by}: ${why}`);
		return this.get(id);
	}

	/**
	 * Stops taking work. Running workers are ended and their tasks put back in the queue to resume on the next
	 * start, so that stopping the core never loses a task. Idempotent.
	 */
	async stop(): Promise<void> {
		if (this.#phase === 'stopped' || this.#phase === 'stopping') return;
		this.#phase = 'stopping';
		this.#cancelPumpTimer?.();
		await Promise.all(
			[...this.#workers].map(async ([id, worker]) => {
				worker.stopping ??= {kind: 'shutdown'};
				await this.#stopWorker(id, worker, 'ccfleet is shutting down');
			}),
		);
		this.#phase = 'stopped';
	}

	async #stopWorker(id: string, worker: LiveWorker, reason: string): Promise<void> {
		try {
			await worker.handle?.stop(reason);
		} catch (error) {
			this.#report(`Stopping the worker of task ${id} failed: ${String(error)}`, error);
		}
		await worker.exited;
	}

	#pump(): void {
		if (this.#phase !== 'running') return;
		while (this.#workers.size < this.#options.maxWorkers && this.#queue.size > 0) {
			const wait = Math.max(this.#lastSpawnAt + this.#options.staggerMs, this.#backoff?.until ?? 0) - this.#clock.now();
			if (wait > 0) {
				this.#cancelPumpTimer ??= this.#clock.setTimeout(() => {
					this.#cancelPumpTimer = undefined;
					this.#pump();
				}, wait);
				return;
			}
			const id = this.#queue.shift()!;
			const task = this.#active.get(id);
			if (task?.status === 'queued') this.#spawn(task);
		}
	}

	#spawn(queued: Task): void {
		const now = this.#clock.now();
		this.#lastSpawnAt = now;
		const resume = queued.resumePending === true && this.#canResume(queued);
		const task = transition(queued, 'running', now, {attempts: queued.attempts + 1, resumePending: false});
		delete task.worker;
		delete task.exitCode;
		this.#save(task, queued.status);

		let markExited!: () => void;
		const exited = new Promise<void>(resolve => {
			markExited = resolve;
		});
		const worker: LiveWorker = {
			state: 'starting',
			tail: new OutputTail(this.#options.tailLines),
			cancelTimeout: this.#clock.setTimeout(() => this.#timeOut(task.id), task.timeoutMs),
			exited,
			markExited,
		};
		this.#workers.set(task.id, worker);
		const spec = {
			taskId: task.id,
			// A run lost mid-turn is told what happened; a task created to continue a conversation brings its own prompt.
			prompt: resume && queued.attempts > 0 ? RESUME_PROMPT : this.#promptWithDependencies(task),
			cwd: workingDirectory(task),
			sessionId: task.sessionId,
			resume,
			permissionMode: task.permissionMode,
			mode: task.mode,
			...(task.model ? {model: task.model} : {}),
			...(task.role ? {systemPrompt: ROLES[task.role].prompt} : {}),
		};
		try {
			worker.handle = this.#driver.start(spec, {
				onSpawned: process => this.#update(task.id, {worker: process}),
				onState: (state, question) => this.#onState(task.id, state, question),
				onOutput: text => this.#onOutput(task.id, text),
				onUsage: usage => this.#onUsage(task.id, usage),
				onExit: exit => this.#onExit(task.id, exit),
			});
		} catch (error) {
			this.#onExit(task.id, {exitCode: null, signal: null, error: `The worker could not start: ${errorMessage(error)}`});
		}
	}

	#timeOut(id: string): void {
		const worker = this.#workers.get(id);
		if (!worker) return;
		worker.stopping ??= {kind: 'timeout'};
		void this.#stopWorker(id, worker, 'timed out');
	}

	#onState(id: string, state: WorkerState, question?: PermissionQuestion): void {
		const worker = this.#workers.get(id);
		const task = this.#active.get(id);
		if (!worker || !task) return;
		worker.state = state;
		if (state === 'needs_input') worker.question = question;
		else delete worker.question;
		if (state === 'needs_input' && task.status === 'running') this.#save(transition(task, 'needs_input', this.#clock.now()), task.status);
		if (state !== 'needs_input' && task.status === 'needs_input') this.#save(transition(task, 'running', this.#clock.now()), task.status);
		this.#bus.emit('worker:state', {taskId: id, state, ...(question ? {question} : {})});
	}

	#onOutput(id: string, text: string): void {
		const worker = this.#workers.get(id);
		if (!worker) return;
		worker.tail.append(text);
		this.#appendOutput(id, text);
	}

	/** Writes to a task's log, with or without a live worker (ccfleet's own notes about it). */
	#appendOutput(id: string, text: string): void {
		try {
			this.#output.append(id, text, this.#active.get(id)?.maxOutputBytes);
		} catch (error) {
			this.#report(`Could not write the output of task ${id}: ${errorMessage(error)}`, error);
		}
		this.#bus.emit('worker:output', {taskId: id});
	}

	#onUsage(id: string, usage: WorkerUsage): void {
		this.#update(id, {costUsd: usage.costUsd, tokens: usage.tokens});
	}

	#onExit(id: string, exit: WorkerExit): void {
		const worker = this.#workers.get(id);
		const task = this.#active.get(id);
		if (!worker || !task) return;
		worker.cancelTimeout();
		this.#workers.delete(id);
		this.#output.closeTask(id);
		const changes: Partial<Task> = {exitCode: exit.exitCode};
		if (exit.result !== undefined) changes.result = exit.result;
		const stopping = worker.stopping;
		if (stopping?.kind === 'cancel') {
			this.#finish(task, 'cancelled', {...changes, cancelledBy: stopping.by, failureReason: stopping.reason});
		} else if (stopping?.kind === 'timeout') {
			this.#finish(task, 'failed', {...changes, failureReason: `Timed out after ${formatDuration(task.timeoutMs)}; raise the task's timeout if it needs longer.`});
		} else if (stopping?.kind === 'shutdown') {
			const next = transition(task, 'queued', this.#clock.now(), {...changes, resumePending: true});
			delete next.worker;
			this.#save(next, task.status);
		} else if (exit.exitCode === 0 && exit.signal === null && exit.result !== undefined && exit.error === undefined) {
			this.#finish(task, 'completed', changes);
		} else if (exit.transient && task.attempts < this.#options.maxAttempts && this.#phase === 'running') {
			this.#retryLater(task, changes, exit);
		} else {
			this.#finish(task, 'failed', {...changes, failureReason: failureReasonOf(exit)});
		}
		worker.markExited();
		this.#pump();
	}

	/**
	 * Moves a task to a terminal status and forgets it from memory; then takes its checkpoint and only after
	 * that releases its dependents, so a task that continues from it finds the checkpoint.
	 */
	#finish(task: Task, status: 'completed' | 'failed' | 'cancelled' | 'skipped', changes: Partial<Task>): void {
		const next = transition(task, status, this.#clock.now(), changes);
		delete next.resumePending;
		this.#save(next, task.status);
		void this.#checkpointThenRelease(next);
	}

	async #checkpointThenRelease(task: Task): Promise<void> {
		let ended = task;
		try {
			// A task that never ran has nothing to record.
			if (task.attempts > 0) {
				const git = await this.#git?.snapshot(workingDirectory(task)).catch(() => undefined);
				const output = this.#output.read(task.id, {tailLines: CHECKPOINT_OUTPUT_LINES}).text;
				ended = {...(this.#store.get(task.id) ?? task)};
				ended.checkpoint = takeCheckpoint(ended, this.#clock.now(), output, git);
				this.#store.update(ended);
			}
			if (task.worktree && !task.merge && this.#workspaces) {
				// Only completed work is merged or written out; a failed task's work stays on its branch for a person.
				const strategy = task.status === 'completed' ? (task.mergeStrategy ?? 'manual') : 'manual';
				const merge = await this.#workspaces.finish(task.worktree, strategy, task.id);
				ended = {...(this.#store.get(task.id) ?? ended), merge};
				this.#store.update(ended);
				this.#appendOutput(task.id, `[ccfleet] ${merge.summary}\n`);
				this.#bus.emit('task:updated', {task: ended, previous: ended.status});
			}
		} catch (error) {
			this.#report(`Could not take the checkpoint of task ${task.id}: ${errorMessage(error)}`, error);
		}
		this.#releaseDependents(ended);
	}

	/** The prompt a worker gets: the task's own, after the checkpoint it continues from and any failed dependency. */
	#promptWithDependencies(task: Task): string {
		let prompt = task.prompt;
		const failed = dependenciesOf(task)
			.map(id => this.#store.get(id))
			.filter((dependency): dependency is Task => dependency !== undefined && dependency.status !== 'completed');
		if (failed.length > 0) prompt = failedDependenciesNote(failed) + prompt;
		const from = task.continueFrom ? this.#store.get(task.continueFrom) : undefined;
		if (from) prompt = continuationPreamble(from) + prompt;
		return prompt;
	}

	/**
	 * A passing failure (rate limit, overload): the task goes back to the head of its line, and no worker starts
	 * for a pause that doubles with each of its attempts.
	 */
	#retryLater(task: Task, changes: Partial<Task>, exit: WorkerExit): void {
		const delay = this.#options.retryBaseMs * 2 ** (task.attempts - 1);
		const reason = exit.error ?? 'a passing API error';
		const next = transition(task, 'queued', this.#clock.now(), {...changes, resumePending: this.#canResume(task), failureReason: reason});
		delete next.worker;
		this.#save(next, task.status);
		const until = this.#clock.now() + delay;
		if (!this.#backoff || this.#backoff.until < until) this.#backoff = {until, reason};
		this.#appendOutput(task.id, `[ccfleet] ${reason}; trying again in ${formatDuration(delay)} (attempt ${task.attempts + 1} of ${this.#options.maxAttempts}).\n`);
		this.#queue.push(task.id, task.priority, {first: true});
	}

	#update(id: string, changes: Partial<Task>): void {
		const task = this.#active.get(id);
		if (!task) return;
		this.#save({...task, ...changes, updatedAt: this.#clock.now()}, task.status);
	}

	/** Store first, then memory, then the bus: a change nobody could persist is never announced. */
	#save(task: Task, previous: TaskStatus): void {
		try {
			this.#store.update(task);
		} catch (error) {
			this.#report(`Could not save task ${task.id}: ${errorMessage(error)}`, error);
			return;
		}
		if (isTerminal(task.status)) this.#active.delete(task.id);
		else this.#active.set(task.id, task);
		this.#bus.emit('task:updated', {task, previous});
	}

	#report(message: string, cause: unknown): void {
		this.#logger.error(message);
		this.#bus.emit('fleet:error', {message, cause});
	}
}

/** What a resumed worker is told when its conversation continues after ccfleet lost it mid-turn. */
export const RESUME_PROMPT =
	'ccfleet restarted while you were working on this task and your last turn was interrupted. Continue the task from where you left off and finish it.';

/** Where the worker runs: the task's directory, or the same place inside its worktree. */
function workingDirectory(task: Task): string {
	const worktree = task.worktree;
	if (!worktree) return task.cwd;
	const inside = task.cwd === worktree.repoRoot || task.cwd.startsWith(`${worktree.repoRoot}/`);
	return inside ? worktree.path + task.cwd.slice(worktree.repoRoot.length) : worktree.path;
}

/** The prompt of a continuation that cannot resume the conversation itself: it retells what happened. */
function retellPrompt(parent: Task, context: string | undefined): string {
	const outcome =
		parent.status === 'completed'
			? `It completed with this answer:\n${parent.result ?? '(no answer)'}`
			: `It ended ${parent.status}${parent.failureReason ? `: ${parent.failureReason}` : ''}.${parent.result ? `\nIts last answer:\n${parent.result}` : ''}`;
	return [
		`This continues an earlier task (${parent.id}) whose conversation is no longer available.`,
		`The earlier task was:\n${parent.prompt}`,
		outcome,
		context ? `Now:\n${context}` : 'Continue the task from where it stopped and finish it.',
	].join('\n\n');
}

function failureReasonOf(exit: WorkerExit): string {
	if (exit.error) return exit.error;
	if (exit.exitCode === null) return `claude was killed by ${exit.signal ?? 'a signal'} before it finished.`;
	if (exit.exitCode === 0) return 'claude exited without finishing its turn.';
	return `claude exited with code ${exit.exitCode} before it finished.`;
}

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

export function formatDuration(ms: number): string {
	if (ms < 1000) return `${ms} ms`;
	const seconds = Math.round(ms / 1000);
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	const rest = seconds % 60;
	if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** Builds the fleet over its ports: the one public entry of the core. */
export function createFleet(ports: FleetPorts, options: Partial<FleetOptions> = {}): Fleet {
	return new Fleet(ports, options);
}
