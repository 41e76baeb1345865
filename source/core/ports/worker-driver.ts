import type {PermissionMode, TokenUsage, WorkerMode, WorkerProcess} from '../domain/task.js';

export type WorkerSpec = {
	taskId: string;
	prompt: string;
	cwd: string;
	sessionId: string;
	/** Continue the Claude conversation `sessionId` (claude --resume) instead of starting it. */
	resume: boolean;
	permissionMode: PermissionMode;
	mode: WorkerMode;
	model?: string;
	/** Added to claude's system prompt (`--append-system-prompt`). */
	systemPrompt?: string;
	/** The task's budget in USD. A headless worker gives it to claude (`--max-budget-usd`); the fleet watches a pty worker's. */
	maxBudgetUsd?: number;
};

/** A question a worker waits on: a tool it wants to use. */
export type PermissionQuestion = {
	toolName: string;
	toolInput: unknown;
	/** A one-line description a person can read. */
	question: string;
};

/** An answer to a permission question: let the tool run, or refuse it with a message the worker reads. */
export type PermissionDecision = {behavior: 'allow'} | {behavior: 'deny'; message: string};

export type WorkerState = 'starting' | 'busy' | 'needs_input' | 'idle';

/** What a busy worker does now: the tool it runs and that tool's main argument (a command, a path, a pattern). */
export type WorkerActivity = {tool: string; detail: string};

export type WorkerUsage = {
	costUsd: number;
	tokens: TokenUsage;
};

/** What the API said about the account's usage limit (subscription plans: the 5-hour and weekly limits). */
export type UsageLimitReport = {
	/** rejected: the limit is reached and no request passes until `resetsAt`; allowed_warning: it is near. */
	status: 'allowed' | 'allowed_warning' | 'rejected';
	/** When the limit resets, epoch ms, when known. */
	resetsAt?: number;
	/** Which limit: five_hour, seven_day, … as claude names it. */
	kind?: string;
};

/**
 * How a worker ended. A worker that finished its turn has `result`; `error` says why it did not.
 * `exitCode` is null when a signal ended the process.
 */
export type WorkerExit = {
	exitCode: number | null;
	signal: string | null;
	result?: string;
	error?: string;
	/** The failure may pass by itself (rate limit, overload, a server error): the task is worth another try. */
	transient?: boolean;
	/** It stopped because the account's usage limit was reached (status rejected), with the reset when known. */
	usageLimit?: UsageLimitReport;
	/** claude itself stopped it for spending its budget (`error_max_budget_usd`). */
	isOverBudget?: boolean;
};

/** What a driver reports about one worker, in order; onExit comes last and exactly once. */
export type WorkerListener = {
	onSpawned(process: WorkerProcess): void;
	onState(state: WorkerState, question?: PermissionQuestion): void;
	/** Human-readable output (not raw terminal bytes). */
	onOutput(text: string): void;
	onUsage(usage: WorkerUsage): void;
	/**
	 * Every usage-limit report as it comes: each request's status while all is well (allowed, allowed_warning), and
	 * the rejection when the limit is hit, which a TUI worker survives (it waits for the reset by itself).
	 */
	onUsageLimit?(report: UsageLimitReport): void;
	/**
	 * claude itself will retry a request the API turned away (a rate limit or an overload on an API key) after
	 * `delayMs`: other workers would meet the same answer meanwhile.
	 */
	onRetrying?(retry: {delayMs: number; error: string}): void;
	/** The worker starts using a tool; its activity ends with the turn (onState idle). */
	onActivity?(activity: WorkerActivity): void;
	onExit(exit: WorkerExit): void;
};

export type WorkerHandle = {
	/** Ends the whole process tree: politely first, then SIGKILL. Resolves once it is gone and onExit was delivered. */
	stop(reason: string): Promise<void>;
	/** The worker's screen as text lines, if the driver has one. */
	screen(): string[];
	/** Answers the permission question the worker waits on; false if it waits on none. True moves it off needs_input at once. */
	answer(decision: PermissionDecision): boolean;
	/** Sends keys or text straight to the worker, as a person typing into it would. */
	write(data: string): void;
	/**
	 * The worker's terminal output as it comes, for a person attached to it; returns a function that stops it.
	 * Absent for a worker without a terminal.
	 */
	attach?(onData: (data: string) => void): () => void;
	/** Resizes the worker's terminal (a person attached at another size); absent without a terminal. */
	resize?(columns: number, rows: number): void;
};

/** Runs one claude process per task. */
export type WorkerDriver = {
	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle;
	/** True if the Claude conversation of this session was written to disk and `resume` can continue it. */
	canResume(spec: {cwd: string; sessionId: string}): boolean;
};
