import type {Task} from '../domain/task.js';
import type {Workspaces} from '../ports/workspace.js';
import type {TaskLedger} from './task-ledger.js';
import {messageOf} from '../domain/errors.js';

/** An isolated task that has no worktree yet. */
export function needsWorktree(task: Task): boolean {
	return task.isolation === 'worktree' && !task.worktree;
}

export type WorktreePorts = {
	workspaces: Workspaces;
	ledger: TaskLedger;
	/** The worktree exists and is recorded with the task, which is still queued. */
	onReady(task: Task): void;
	onFailed(task: Task, reason: string): void;
};

/**
 * Makes an isolated task's worktree, off the caller's path. A task that resumes an isolated task's conversation gets
 * that task's worktree again: claude finds a conversation by the directory it ran in, and the work is on that branch.
 * A task cancelled meanwhile is left alone.
 */
export function prepareWorktree(task: Task, ports: WorktreePorts): void {
	const {workspaces, ledger} = ports;
	const parent = task.parentTaskId ? ledger.find(task.parentTaskId) : undefined;
	const making = task.resumePending && parent?.worktree ? workspaces.reopen(parent.worktree, task.id) : workspaces.create(task.cwd, task.id);
	making.then(
		worktree => {
			if (ledger.active(task.id)?.status !== 'queued') return;
			ledger.update(task.id, {worktree});
			ports.onReady(ledger.get(task.id));
		},
		(error: unknown) => {
			const current = ledger.active(task.id);
			if (current?.status === 'queued') ports.onFailed(current, `Its worktree could not be made: ${messageOf(error)}`);
		},
	);
}
