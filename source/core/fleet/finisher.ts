import {CHECKPOINT_OUTPUT_LINES, takeCheckpoint} from '../domain/checkpoint.js';
import {transition, type Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {GitInspector} from '../ports/git.js';
import type {OutputLog} from '../ports/task-store.js';
import type {Workspaces} from '../ports/workspace.js';
import type {TaskLedger} from './task-ledger.js';
import {workingDirectory} from './worker-prompt.js';

export type EndStatus = 'completed' | 'failed' | 'cancelled' | 'skipped';

export type FinisherPorts = {
	ledger: TaskLedger;
	output: OutputLog;
	clock: Clock;
	git: GitInspector | undefined;
	workspaces: Workspaces | undefined;
	/** Writes a line of ccfleet's own to a task's log. */
	note(taskId: string, text: string): void;
	report(message: string, cause: unknown): void;
	/** The task's end is fully recorded (checkpoint, merge): its dependents may go on. */
	onSettled(task: Task): void;
};

/**
 * Ends tasks: writes the end, then takes the checkpoint and settles an isolated task's worktree, and only after that
 * lets its dependents go on (a task that continues from it must find the checkpoint). The work after the end runs in
 * the background, and every piece of it is tracked, so that stopping the fleet can wait for it.
 */
export class Finisher {
	readonly #ports: FinisherPorts;
	readonly #inFlight = new Set<Promise<void>>();

	constructor(ports: FinisherPorts) {
		this.#ports = ports;
	}

	/** Moves a task to a terminal status now; its checkpoint and merge follow. */
	finish(task: Task, status: EndStatus, changes: Partial<Task>): void {
		const next = transition(task, status, this.#ports.clock.now(), changes);
		delete next.resumePending;
		if (!this.#ports.ledger.save(next, task.status)) return;
		const settling = this.#settle(next).finally(() => this.#inFlight.delete(settling));
		this.#inFlight.add(settling);
	}

	/** Checkpoints and merges still running. */
	get pending(): number {
		return this.#inFlight.size;
	}

	/**
	 * Resolves once every checkpoint and merge started so far has finished, or after `timeoutMs`, whichever comes
	 * first; true when all finished.
	 */
	async drain(timeoutMs: number): Promise<boolean> {
		if (this.#inFlight.size === 0) return true;
		let cancelTimer: (() => void) | undefined;
		const timedOut = new Promise<false>(resolve => {
			cancelTimer = this.#ports.clock.setTimeout(() => resolve(false), timeoutMs);
		});
		const all = (async () => {
			while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
			return true as const;
		})();
		try {
			return await Promise.race([all, timedOut]);
		} finally {
			cancelTimer?.();
		}
	}

	async #settle(task: Task): Promise<void> {
		const {ledger, output, clock, git, workspaces} = this.#ports;
		let ended = task;
		try {
			// A task that never ran has nothing to record.
			if (task.attempts > 0) {
				const snapshot = await git?.snapshot(workingDirectory(task)).catch(() => undefined);
				const tail = output.read(task.id, {tailLines: CHECKPOINT_OUTPUT_LINES}).text;
				ended = ledger.amend(task.id, current => ({checkpoint: takeCheckpoint(current, clock.now(), tail, snapshot)})) ?? ended;
			}
			if (task.worktree && !task.merge && workspaces) {
				// Only completed work is merged or written out; a failed task's work stays on its branch for a person.
				const strategy = task.status === 'completed' ? (task.mergeStrategy ?? 'manual') : 'manual';
				const merge = await workspaces.finish(task.worktree, strategy, task.id);
				ended = ledger.amend(task.id, () => ({merge})) ?? ended;
				this.#ports.note(task.id, `[ccfleet] ${merge.summary}\n`);
			}
		} catch (error) {
			this.#ports.report(`Could not take the checkpoint of task ${task.id}: ${error instanceof Error ? error.message : String(error)}`, error);
		}
		this.#ports.onSettled(ended);
	}
}
