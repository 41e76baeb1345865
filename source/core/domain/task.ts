import {IllegalTransitionError} from './errors.js';
import type {MergeOutcome, Worktree} from '../ports/workspace.js';
import type {Priority, PermissionMode, TaskStatus, WorkerMode} from './task-enums.js';
import type {TaskSpec} from './task-spec.js';
import type {AnsweredQuestion} from './permission-answer.js';
import type {WorkflowMembership} from './workflow-expansion.js';

export * from './task-enums.js';

export type TokenUsage = {
	input: number;
	output: number;
	cacheRead: number;
	cacheCreation: number;
};

const NO_TOKENS: TokenUsage = Object.freeze({input: 0, output: 0, cacheRead: 0, cacheCreation: 0});

/** The worker process that runs (or ran) a task: enough to tell after a restart whether it still lives. */
export type WorkerProcess = {
	pid: number;
	/** Kernel start time of the process (clock ticks since boot), so a reused pid is never mistaken for it. */
	startTime: number;
};

/** The settings every task has once created: the spec's defaults filled in. */
type ResolvedSettings = {
	priority: Priority;
	permissionMode: PermissionMode;
	mode: WorkerMode;
	/** Milliseconds the task may run before it fails with a timeout. */
	timeoutMs: number;
};

/** A task: what it asks for (its spec, with defaults filled in) and where it stands. */
export type Task = Omit<TaskSpec, keyof ResolvedSettings> &
	ResolvedSettings & {
		id: string;
		status: TaskStatus;
		/** The Claude session the task runs in; fixed before the first start so the transcript path is known. */
		sessionId: string;
		createdAt: number;
		updatedAt: number;
		startedAt?: number;
		endedAt?: number;
		/** How many times a worker was started for this task (a resume after a crash counts). */
		attempts: number;
		exitCode?: number | null;
		result?: string;
		/** Why the task did not complete; for a cancelled task, the reason its canceller gave. */
		failureReason?: string;
		/** Who cancelled the task: `cli`, `mcp`, `dashboard`, … */
		cancelledBy?: string;
		costUsd: number;
		tokens: TokenUsage;
		worker?: WorkerProcess;
		/** Set while the task waits to continue its Claude conversation (`sessionId`) instead of starting it. */
		resumePending?: boolean;
		/** The task whose conversation this one continues (resume). */
		parentTaskId?: string;
		/** The task this one runs again from scratch (retry). */
		retryOf?: string;
		/**
		 * Parked at a usage limit: when the limit resets and the task goes on (epoch ms). Kept until it runs again, so
		 * its worker is told why its turn was cut off.
		 */
		parkedUntil?: number;
		checkpoint?: Checkpoint;
		worktree?: Worktree;
		/** What became of the worktree's changes. */
		merge?: MergeOutcome;
		/** Its permission questions answered so far, latest last (at most ANSWER_HISTORY_LIMIT). */
		answers?: AnsweredQuestion[];
		/** The workflow this task is a step of. */
		workflow?: WorkflowMembership;
	};

const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped']);

/** Where a task stood when it ended: enough for a later task to pick up from it. */
export type Checkpoint = {
	takenAt: number;
	git?: {branch: string; sha: string; dirtyFiles: string[]};
	/** The last lines of its output (at most 50). */
	outputTail: string[];
	result?: string;
	sessionId: string;
	/** The pull request its work was proposed in (merge strategy pr). */
	pullRequestUrl?: string;
	/**
	 * Taken while the task ran on this host of a shared fleet (a progress checkpoint), not at its end: what another host
	 * that takes the task over retells, since the conversation stays on this host's disk.
	 */
	runningOn?: string;
};

export function isTerminal(status: TaskStatus): boolean {
	return TERMINAL_STATUSES.has(status);
}

/** The legal moves between statuses, in one place. A terminal status has no way out. */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
	// queued → failed/skipped: a dependency did not complete.
	queued: ['running', 'failed', 'cancelled', 'skipped'],
	// running → queued: a worker lost in a crash goes back to the queue.
	running: ['needs_input', 'completed', 'failed', 'cancelled', 'queued', 'parked'],
	needs_input: ['running', 'completed', 'failed', 'cancelled', 'queued', 'parked'],
	// parked → queued: the usage limit reset; the task goes on with its conversation.
	parked: ['queued', 'cancelled', 'failed'],
	completed: [],
	failed: [],
	cancelled: [],
	skipped: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
	return from === to || TRANSITIONS[from].includes(to);
}

/** Returns the task in its new status; throws IllegalTransitionError for a move the table forbids. */
export function transition(task: Task, to: TaskStatus, now: number, changes: Partial<Task> = {}): Task {
	if (!canTransition(task.status, to)) throw new IllegalTransitionError(task.id, task.status, to);
	const next: Task = {...task, ...changes, status: to, updatedAt: now};
	if (to === 'running' && task.status === 'queued') next.startedAt = now;
	if (isTerminal(to)) next.endedAt = now;
	// An earlier attempt's failure is history (its log keeps it): a new attempt or a completion no longer shows it.
	if (((to === 'running' && task.status === 'queued') || to === 'completed') && changes.failureReason === undefined) delete next.failureReason;
	return next;
}

/** Who asks to cancel a task (a person, the CLI, a session, a workflow…) and why; the reason goes into its failure reason. */
export type CancelRequest = {by: string; reason?: string};

/** What a new task asks for: its spec. */
export type NewTaskInput = TaskSpec;

export type TaskDefaults = {
	priority: Priority;
	permissionMode: PermissionMode;
	mode: WorkerMode;
	timeoutMs: number;
};

export function createTask(input: NewTaskInput, ids: {id: string; sessionId: string}, now: number, defaults: TaskDefaults): Task {
	return {
		id: ids.id,
		prompt: input.prompt,
		cwd: input.cwd,
		priority: input.priority ?? defaults.priority,
		status: 'queued',
		permissionMode: input.permissionMode ?? defaults.permissionMode,
		mode: input.mode ?? defaults.mode,
		...(input.model ? {model: input.model} : {}),
		timeoutMs: input.timeoutMs ?? defaults.timeoutMs,
		...(input.maxOutputBytes ? {maxOutputBytes: input.maxOutputBytes} : {}),
		...(input.maxBudgetUsd ? {maxBudgetUsd: input.maxBudgetUsd} : {}),
		...(input.dependsOn?.length ? {dependsOn: [...input.dependsOn]} : {}),
		...(input.continueFrom ? {continueFrom: input.continueFrom} : {}),
		...(input.onDependencyFailure ? {onDependencyFailure: input.onDependencyFailure} : {}),
		...(input.role ? {role: input.role} : {}),
		...(input.allow?.length ? {allow: [...input.allow]} : {}),
		...(input.deny?.length ? {deny: [...input.deny]} : {}),
		...(input.isolation && input.isolation !== 'none' ? {isolation: input.isolation, mergeStrategy: input.mergeStrategy ?? 'manual'} : {}),
		...(input.base ? {base: input.base} : {}),
		...(input.verify ? {verify: input.verify} : {}),
		...(input.host ? {host: input.host} : {}),
		...(input.label ? {label: input.label} : {}),
		sessionId: ids.sessionId,
		createdAt: now,
		updatedAt: now,
		attempts: 0,
		costUsd: 0,
		tokens: {...NO_TOKENS},
	};
}
