/** The closed sets of values a task's settings and status take. */

export const PRIORITIES = ['P0', 'P1', 'P2'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * parked: its worker stopped at the account's usage limit; it waits for the reset (parkedUntil) and then goes on
 * with its conversation. Neither failed nor an attempt used.
 */
export const TASK_STATUSES = ['queued', 'running', 'needs_input', 'parked', 'completed', 'failed', 'cancelled', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How much of its own judgement a worker may use before asking. These are claude's `--permission-mode` values. */
export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'bypassPermissions'] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** How a worker runs claude: its interactive TUI in a pty (attachable), or print mode speaking stream-json. */
export const WORKER_MODES = ['pty', 'headless'] as const;
export type WorkerMode = (typeof WORKER_MODES)[number];

/** `worktree`: the task works in a git worktree of its own, merged back as its merge strategy says. */
export const ISOLATIONS = ['none', 'worktree'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** What a dependent does when one of its dependencies fails, is cancelled or skipped. */
export const DEPENDENCY_FAILURE_POLICIES = ['fail', 'skip', 'run'] as const;
export type DependencyFailurePolicy = (typeof DEPENDENCY_FAILURE_POLICIES)[number];
