import {findCycle} from '../dag.js';
import {DependencyTracker} from '../dependencies.js';
import {InvalidInputError} from '../domain/errors.js';
import {isTerminal, type Task} from '../domain/task.js';
import {dependenciesOf} from '../domain/task-input.js';
import type {PriorityQueue} from '../queue.js';
import type {TaskLedger} from './task-ledger.js';

/** How the gate ends a task whose dependency did not complete. */
export type EndTask = (task: Task, status: 'failed' | 'skipped', failureReason: string) => void;

/**
 * Holds a queued task until its dependencies have completed, then puts it in the queue; when one fails, ends it
 * or lets it run, as its onDependencyFailure says. Refuses a dependency that would close a cycle, naming it.
 */
export class DependencyGate {
	readonly #ledger: TaskLedger;
	readonly #queue: PriorityQueue;
	readonly #end: EndTask;
	readonly #tracker = new DependencyTracker();

	constructor(ledger: TaskLedger, queue: PriorityQueue, end: EndTask) {
		this.#ledger = ledger;
		this.#queue = queue;
		this.#end = end;
	}

	/** Queues a task whose dependencies have all completed; otherwise it waits, or ends as its policy says. */
	admit(task: Task): void {
		const unmet: string[] = [];
		for (const id of dependenciesOf(task)) {
			const dependency = this.#ledger.find(id);
			if (!dependency || dependency.status === 'completed') continue;
			if (!isTerminal(dependency.status)) {
				unmet.push(id);
				continue;
			}
			if ((task.onDependencyFailure ?? 'fail') !== 'run') {
				this.#endFor(task, dependency);
				return;
			}
		}
		if (unmet.length > 0) this.#tracker.track(task.id, unmet);
		else this.#queue.push(task.id, task.priority);
	}

	/** A dependency ended: release, fail or skip the tasks that waited on it. */
	release(dependency: Task): void {
		for (const {taskId, remaining} of this.#tracker.resolve(dependency.id)) {
			const task = this.#ledger.active(taskId);
			if (task?.status !== 'queued') continue;
			if (dependency.status !== 'completed' && (task.onDependencyFailure ?? 'fail') !== 'run') {
				this.#tracker.untrack(taskId);
				this.#endFor(task, dependency);
				continue;
			}
			if (remaining === 0) this.#queue.push(taskId, task.priority);
		}
	}

	/**
	 * Makes a queued task also wait for `dependsOn`. Refused, naming the cycle, when that would make tasks wait on each
	 * other in a circle. Returns the dependencies the task now has.
	 */
	checkNewDependencies(task: Task, dependsOn: string[]): string[] {
		if (task.status !== 'queued') throw new InvalidInputError(`Task ${task.id} is ${task.status}; only a queued task can get new dependencies.`);
		for (const dependency of dependsOn) {
			if (dependency === task.id) throw new InvalidInputError(`Task ${task.id} cannot depend on itself.`);
			if (!this.#ledger.find(dependency)) {
				throw new InvalidInputError(`The dependency "${dependency}" is not a known task. Depend on tasks that exist (see \`ccfleet status\`).`);
			}
		}
		const graph = new Map<string, string[]>();
		for (const active of this.#ledger.activeTasks()) graph.set(active.id, dependenciesOf(active));
		graph.set(task.id, [...new Set([...dependenciesOf(task), ...dependsOn])]);
		const cycle = findCycle(graph, [task.id]);
		if (cycle) throw new InvalidInputError(`That would make tasks wait on each other in a cycle: ${cycle.join(' → ')}. Remove one of these dependencies.`);
		return [...new Set([...(task.dependsOn ?? []), ...dependsOn])];
	}

	/** Takes a task out of both the waiting set and the queue (it is cancelled, or about to be admitted again). */
	forget(taskId: string): void {
		this.#queue.remove(taskId);
		this.#tracker.untrack(taskId);
	}

	/** What a task waits on before it can run (empty when it is runnable or not queued). */
	waitingOn(taskId: string): string[] {
		return this.#tracker.waitingOn(taskId);
	}

	#endFor(task: Task, dependency: Task): void {
		const why = `dependency ${dependency.id} ${dependency.status}${dependency.failureReason ? ` (${dependency.failureReason})` : ''}`;
		if (task.onDependencyFailure === 'skip') this.#end(task, 'skipped', `Skipped: ${why}.`);
		else this.#end(task, 'failed', `Not started: ${why}.`);
	}
}
