// The fleet's worktrees (`fleet.worktrees`): what isolated tasks left behind (worktree directories and branches), and
// pruning what finished tasks no longer need.
import {isTerminal, type Task, type TaskStatus} from '../domain/task.js';
import type {Workspaces} from '../ports/workspace.js';

/** What became of an isolated task's worktree and branch, as `ccfleet worktrees` shows it. */
export type WorktreeEntry = {
	taskId: string;
	status: TaskStatus;
	branch: string;
	path: string;
	/** The worktree's directory still exists. */
	hasDirectory: boolean;
	/** The branch still exists. */
	hasBranch: boolean;
	/** in use (its task is unfinished), landing (in the merge queue), kept (the work waits on its branch), merged. */
	state: 'in use' | 'landing' | 'kept' | 'merged';
	/** In a sentence: the merge's summary, or why it is still there. */
	note: string;
	pullRequestUrl?: string;
};

export type PruneReport = {
	/** Worktree directories removed. */
	removedDirectories: string[];
	/** Branches deleted (merged, or unmerged when asked). */
	deletedBranches: string[];
	/** Branches kept because their work is not merged, each with its task. */
	keptBranches: Array<{taskId: string; branch: string}>;
};

/** Every isolated task that still has a worktree directory or a branch, oldest first. */
async function listWorktrees(tasks: readonly Task[], workspaces: Workspaces): Promise<WorktreeEntry[]> {
	const entries: WorktreeEntry[] = [];
	for (const task of tasks) {
		const worktree = task.worktree;
		if (!worktree) continue;
		const state = await workspaces.inspect(worktree, task.base);
		if (!state.directory && !state.branch) continue;
		const base = {taskId: task.id, status: task.status, branch: worktree.branch, path: worktree.path, hasDirectory: state.directory, hasBranch: state.branch};
		const pr = task.merge?.pullRequestUrl ? {pullRequestUrl: task.merge.pullRequestUrl} : {};
		if (!isTerminal(task.status)) entries.push({...base, state: 'in use', note: `its task is ${task.status.replace('_', ' ')}`});
		else if (!task.merge) entries.push({...base, state: 'landing', note: 'ended; its merge has not been settled yet (the merge queue, or a restart will finish it)'});
		else entries.push({...base, ...pr, state: state.branch && !state.merged ? 'kept' : 'merged', note: task.merge.summary});
	}
	return entries;
}

/**
 * Removes what finished tasks left behind: every leftover directory, and branches whose work is in their base
 * (every branch with `unmerged`). Unfinished tasks and tasks still being settled are left alone; no commit is lost
 * unless `unmerged` says so.
 */
async function pruneWorktrees(tasks: readonly Task[], workspaces: Workspaces, {unmerged}: {unmerged: boolean}): Promise<PruneReport> {
	const report: PruneReport = {removedDirectories: [], deletedBranches: [], keptBranches: []};
	for (const task of tasks) {
		const worktree = task.worktree;
		if (!worktree || !isTerminal(task.status) || !task.merge) continue;
		const before = await workspaces.inspect(worktree, task.base);
		if (!before.directory && !before.branch) continue;
		const after = await workspaces.remove(worktree, {base: task.base, unmerged});
		if (before.directory && !after.directory) report.removedDirectories.push(worktree.path);
		if (before.branch && !after.branch) report.deletedBranches.push(worktree.branch);
		if (after.branch) report.keptBranches.push({taskId: task.id, branch: worktree.branch});
	}
	return report;
}

export class Worktrees {
	readonly #tasks: () => Task[];
	readonly #workspaces: Workspaces | undefined;

	/** `tasks` lists every task the fleet knows; without `workspaces` (no git) no task has a worktree. */
	constructor(tasks: () => Task[], workspaces: Workspaces | undefined) {
		this.#tasks = tasks;
		this.#workspaces = workspaces;
	}

	/** Worktrees and branches isolated tasks still have, with what became of each. */
	async list(): Promise<WorktreeEntry[]> {
		if (!this.#workspaces) return [];
		return listWorktrees(this.#isolatedTasks(), this.#workspaces);
	}

	/** Removes finished tasks' leftover worktrees, and their branches once merged (or all, with `unmerged`). */
	async prune(options: {unmerged: boolean}): Promise<PruneReport> {
		if (!this.#workspaces) return {removedDirectories: [], deletedBranches: [], keptBranches: []};
		return pruneWorktrees(this.#isolatedTasks(), this.#workspaces, options);
	}

	#isolatedTasks(): Task[] {
		return this.#tasks().filter(task => task.worktree !== undefined);
	}
}
