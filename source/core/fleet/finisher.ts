import {CHECKPOINT_OUTPUT_LINES, takeCheckpoint} from '../domain/checkpoint.js';
import {pullRequestText} from '../domain/pull-request-text.js';
import {transition, type Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {GitInspector} from '../ports/git.js';
import type {OutputLog} from '../ports/task-store.js';
import type {FinishPlan, Workspaces} from '../ports/workspace.js';
import {LandingQueue} from './landing-queue.js';
import type {TaskLedger} from './task-ledger.js';
import {workingDirectory} from './worker-prompt.js';
import {messageOf} from '../domain/errors.js';

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
	readonly #landings = new LandingQueue();

	constructor(ports: FinisherPorts) {
		this.#ports = ports;
	}

	/** Moves a task to a terminal status now; its checkpoint and merge follow. */
	finish(task: Task, status: EndStatus, changes: Partial<Task>): void {
		const next = transition(task, status, this.#ports.clock.now(), changes);
		delete next.resumePending;
		if (!this.#ports.ledger.save(next, task.status)) return;
		this.#track(this.#settle(next));
	}

	/**
	 * Settles again the worktrees of tasks that ended but whose merge was never recorded (the core stopped while they
	 * waited in the merge queue): in dependency order, then in the order they ended.
	 */
	resettle(tasks: readonly Task[]): void {
		const unsettled = tasks.filter(task => task.worktree && !task.merge);
		const ids = new Set(unsettled.map(task => task.id));
		const placed = new Set<string>();
		const order: Task[] = [];
		const place = (task: Task, path: Set<string>): void => {
			if (placed.has(task.id) || path.has(task.id)) return;
			path.add(task.id);
			for (const id of task.dependsOn ?? []) {
				const dependency = ids.has(id) ? unsettled.find(other => other.id === id) : undefined;
				if (dependency) place(dependency, path);
			}
			placed.add(task.id);
			order.push(task);
		};
		for (const task of [...unsettled].sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0))) place(task, new Set());
		for (const task of order) this.#track(this.#settle(task, {isCheckpointed: task.checkpoint !== undefined}));
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

	#track(settling: Promise<void>): void {
		const tracked = settling.finally(() => this.#inFlight.delete(tracked));
		this.#inFlight.add(tracked);
	}

	async #settle(task: Task, {isCheckpointed = false} = {}): Promise<void> {
		const {ledger, output, clock, git, workspaces} = this.#ports;
		let ended = task;
		try {
			// A task that never ran has nothing to record.
			if (task.attempts > 0 && !isCheckpointed) {
				const snapshot = await git?.snapshot(workingDirectory(task)).catch(() => undefined);
				const tail = output.read(task.id, {tailLines: CHECKPOINT_OUTPUT_LINES}).text;
				ended = ledger.amend(task.id, current => ({checkpoint: takeCheckpoint(current, clock.now(), tail, snapshot)})) ?? ended;
			}
			const worktree = task.worktree;
			if (worktree && !task.merge && workspaces) {
				// Only completed work is merged, proposed or written out; a failed task's work stays on its branch for a person.
				const strategy = task.status === 'completed' ? (task.mergeStrategy ?? 'manual') : 'manual';
				const plan: FinishPlan = {
					strategy,
					...(task.base ? {base: task.base} : {}),
					...(task.verify ? {verify: task.verify} : {}),
					workdir: workingDirectory(task),
					...(strategy === 'pr' ? {pullRequest: pullRequestText(ended)} : {}),
					log: line => this.#ports.note(task.id, `[ccfleet] ${line}\n`),
				};
				const finishing = () => workspaces.finish(worktree, plan, task.id);
				if (strategy === 'auto' && this.#landings.waiting(worktree.repoRoot) > 0) plan.log('waiting for the merge queue: earlier tasks land on this repository first');
				const merge = strategy === 'auto' ? await this.#landings.run(worktree.repoRoot, finishing) : await finishing();
				ended =
					ledger.amend(task.id, current => ({
						merge,
						...(merge.pullRequestUrl && current.checkpoint ? {checkpoint: {...current.checkpoint, pullRequestUrl: merge.pullRequestUrl}} : {}),
					})) ?? ended;
				this.#ports.note(task.id, `[ccfleet] ${merge.summary}\n`);
			}
		} catch (error) {
			this.#ports.report(`Could not take the checkpoint or settle the worktree of task ${task.id}: ${messageOf(error)}`, error);
		}
		this.#ports.onSettled(ended);
	}
}
