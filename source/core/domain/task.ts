import {IllegalTransitionError} from './errors.js';
import type {MergeOutcome, MergeStrategy, Worktree} from '../ports/workspace.js';
import type {Role} from './roles.js';

export const PRIORITIES = ['P0', 'P1', 'P2'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_STATUSES = ['queued', 'running', 'needs_input', 'completed', 'failed', 'cancelled', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How much of its own judgement a worker may use before asking. These are claude's `--permission-mode` values. */
export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'bypassPermissions'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** How a worker runs claude: its interactive TUI in a pty (attachable), or print mode speaking stream-json. */
export const WORKER_MODES = ['pty', 'headless'] as const;
export type WorkerMode = (typeof WORKER_MODES)[number];

export type TokenUsage = {
	input: number;
	output: number;
	cacheRead: number;
	cacheCreation: number;
};

export const NO_TOKENS: TokenUsage = Object.freeze({input: 0, output: 0, cacheRead: 0, cacheCreation: 0});

/** The worker process that runs (or ran) a task: enough to tell after a restart whether it still lives. */
export type WorkerProcess = {
	pid: number;
	/** Kernel start time of the process (clock ticks since boot), so a reused pid is never mistaken for it. */
	startTime: number;
};

export type Task = {
	id: string;
	prompt: string;
	cwd: string;
	priority: Priority;
	status: TaskStatus;
	permissionMode: PermissionMode;
	mode: WorkerMode;
	model?: string;
	/** Milliseconds the task may run before it fails with a timeout. */
	timeoutMs: number;
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
	/** Cap of this task's log, in bytes, when it differs from MAX_OUTPUT_BUFFER. */
	maxOutputBytes?: number;
	/** Tasks that must complete before this one starts. */
	dependsOn?: string[];
	/** A dependency whose checkpoint is put into this task's prompt. */
	continueFrom?: string;
	/** What happens to this task when a dependency does not complete; default `fail`. */
	onDependencyFailure?: DependencyFailurePolicy;
	checkpoint?: Checkpoint;
	/** A role whose instructions are added to the worker's system prompt. */
	role?: Role;
	isolation?: Isolation;
	/** With worktree isolation: what happens to the changes when the task ends (default manual). */
	mergeStrategy?: MergeStrategy;
	worktree?: Worktree;
	/** What became of the worktree's changes. */
	merge?: MergeOutcome;
};

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped']);

/** `worktree`: the task works in a git worktree of its own, merged back as its merge strategy says. */
export const ISOLATIONS = ['none', 'worktree'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** What a dependent does when one of its dependencies fails, is cancelled or skipped. */
export const DEPENDENCY_FAILURE_POLICIES = ['fail', 'skip', 'run'] as const;
export type DependencyFailurePolicy = (typeof DEPENDENCY_FAILURE_POLICIES)[number];

/** Where a task stood when it ended: enough for a later task to pick up from it. */
export type Checkpoint = {
	takenAt: number;
	git?: {branch: string; sha: string; dirtyFiles: string[]};
	/** The last lines of its output (at most 50). */
	outputTail: string[];
	result?: string;
	sessionId: string;
};

export function isTerminal(status: TaskStatus): boolean {
	return TERMINAL_STATUSES.has(status);
}

/** The legal moves between statuses, in one place. A terminal status has no way out. */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
	// queued → failed/skipped: a dependency did not complete.
	queued: ['running', 'failed', 'cancelled', 'skipped'],
	// running → queued: a worker lost in a crash goes back to the queue.
	running: ['needs_input', 'completed', 'failed', 'cancelled', 'queued'],
	needs_input: ['running', 'completed', 'failed', 'cancelled', 'queued'],
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
	return next;
}

export type NewTaskInput = {
	prompt: string;
	cwd: string;
	priority?: Priority;
	permissionMode?: PermissionMode;
	mode?: WorkerMode;
	model?: string;
	timeoutMs?: number;
	maxOutputBytes?: number;
	dependsOn?: string[];
	continueFrom?: string;
	onDependencyFailure?: DependencyFailurePolicy;
	role?: Role;
	isolation?: Isolation;
	mergeStrategy?: MergeStrategy;
};

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
		...(input.dependsOn?.length ? {dependsOn: [...input.dependsOn]} : {}),
		...(input.continueFrom ? {continueFrom: input.continueFrom} : {}),
		...(input.onDependencyFailure ? {onDependencyFailure: input.onDependencyFailure} : {}),
		...(input.role ? {role: input.role} : {}),
		...(input.isolation && input.isolation !== 'none' ? {isolation: input.isolation, mergeStrategy: input.mergeStrategy ?? 'manual'} : {}),
		sessionId: ids.sessionId,
		createdAt: now,
		updatedAt: now,
		attempts: 0,
		costUsd: 0,
		tokens: {...NO_TOKENS},
	};
}
