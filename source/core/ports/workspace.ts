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

export const MERGE_STRATEGIES = ['manual', 'patch', 'auto', 'pr'] as const;
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
	/** The pull request opened for it (strategy pr). */
	pullRequestUrl?: string;
	/** The base branch's commit once the work landed on it (strategy auto). */
	landedSha?: string;
	/** Files that conflicted with the base branch, when that is why it did not land. */
	conflictFiles?: string[];
};

/** How a finished task's worktree is settled. */
export type FinishPlan = {
	strategy: MergeStrategy;
	/** The branch the work goes into (auto, pr); default the checkout's current branch. */
	base?: string;
	/** auto: a shell command that must pass in the rebased worktree before the work lands. */
	verify?: string;
	/** Where the worker ran inside the worktree: where the verify command runs. */
	workdir: string;
	/** pr: the pull request's title and body. */
	pullRequest?: {title: string; body: string};
	/** Writes a line to the task's log (what landing did, the verify command's last lines). */
	log(line: string): void;
};

/** A worktree or branch left behind by a task, as `ccfleet worktrees` lists it. */
export type LeftoverState = {
	/** The worktree's directory still exists. */
	directory: boolean;
	/** The branch still exists. */
	branch: boolean;
	/** The branch's work is contained in the base (nothing would be lost by deleting it). */
	merged: boolean;
};

/** Git worktrees for isolated tasks. */
export type Workspaces = {
	/**
	 * What an isolated task needs, checked when it is submitted: a repository with a commit, the base branch, and for a
	 * pull request a remote and an installed, logged-in gh. Returns the base branch to record (the checkout's current
	 * one when none is given); throws an Error saying what is missing and what to do.
	 */
	check(cwd: string, plan: {strategy: MergeStrategy; base?: string}): Promise<{base?: string}>;
	create(cwd: string, taskId: string): Promise<Worktree>;
	/**
	 * Makes a finished task's worktree again, at the same path and on its branch when that still exists (else a new
	 * branch of that name from the repository's HEAD), for a task that continues its conversation: claude finds a
	 * conversation by the directory it ran in. `taskId` is the continuing task, for messages.
	 */
	reopen(worktree: Worktree, taskId: string): Promise<Worktree>;
	/**
	 * Commits what the worker left, then applies the plan's strategy and removes the worktree directory. The branch is
	 * deleted only once its work is in the base branch, or when there was none.
	 */
	finish(worktree: Worktree, plan: FinishPlan, taskId: string): Promise<MergeOutcome>;
	/** Whether a task's worktree directory and branch are still there, and whether the branch is merged. */
	inspect(worktree: Worktree, base: string | undefined): Promise<LeftoverState>;
	/** Removes a finished task's leftover directory, and its branch when that is merged (or when `unmerged` allows). */
	remove(worktree: Worktree, options: {base: string | undefined; unmerged: boolean}): Promise<LeftoverState>;
};
