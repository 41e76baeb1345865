/** A task's own git worktree: its changes stay off the user's checkout until they are merged back. */
export type Worktree = {
	/** The repository's top level (where the changes go back to). */
	repoRoot: string;
	/** The worktree's directory; the worker runs here (or in the same subdirectory of it as the task's cwd). */
	path: string;
	branch: string;
	/** The commit the branch started from. */
	baseSha: string;
};

export const MERGE_STRATEGIES = ['manual', 'patch', 'auto'] as const;
/** What happens to a worktree's changes when its task ends: kept on the branch, written as a patch, or merged. */
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export type MergeOutcome = {
	strategy: MergeStrategy;
	/** What happened, in a sentence a person can act on. */
	summary: string;
	merged: boolean;
	patchPath?: string;
	/** Whether the branch still holds the work (nothing was lost if a merge could not be done). */
	branchKept: boolean;
};

/** Git worktrees for isolated tasks. */
export type Workspaces = {
	create(cwd: string, taskId: string): Promise<Worktree>;
	/**
	 * Makes a finished task's worktree again, at the same path and on its branch when that still exists (else a new
	 * branch of that name from the repository's HEAD), for a task that continues its conversation: claude finds a
	 * conversation by the directory it ran in. `taskId` is the continuing task, for messages.
	 */
	reopen(worktree: Worktree, taskId: string): Promise<Worktree>;
	/** Commits what the worker left, then applies the strategy and removes the worktree directory. */
	finish(worktree: Worktree, strategy: MergeStrategy, taskId: string): Promise<MergeOutcome>;
};
