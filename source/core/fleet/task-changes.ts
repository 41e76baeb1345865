// Changes to a task this host holds: reprioritising a queued one, making it wait for more tasks, cancelling it. With a
// shared store each is refused here for a task another host holds; the Fleet's cancel and fleet.anywhere carry such a
// change to its holder, whose own TaskChanges carries it out.
import {InvalidInputError} from '../domain/errors.js';
import {isTerminal, PRIORITIES, type CancelRequest, type Priority, type Task} from '../domain/task.js';
import type {FleetParts} from './assembly.js';

/** The fleet's parts that changing a task touches. */
export type TaskChangesNeeds = Pick<FleetParts, 'ledger' | 'queue' | 'gate' | 'supervisor' | 'finisher' | 'shared' | 'pump'>;

export class TaskChanges {
	readonly #parts: TaskChangesNeeds;

	constructor(parts: TaskChangesNeeds) {
		this.#parts = parts;
	}

	/** See Fleet.reprioritize. */
	reprioritize(id: string, priority: Priority): Task {
		const {ledger, queue} = this.#parts;
		if (!PRIORITIES.includes(priority)) throw new InvalidInputError(`Unknown priority ${JSON.stringify(priority)}; use one of ${PRIORITIES.join(', ')}.`);
		const task = ledger.get(id);
		if (task.status !== 'queued') throw new InvalidInputError(`Task ${id} is ${task.status}; only a queued task can change priority.`);
		this.#assertHeld(id, 'reprioritise');
		if (task.priority === priority) return task;
		if (queue.has(id)) {
			queue.remove(id);
			queue.push(id, priority);
		}
		ledger.update(id, {priority});
		return ledger.get(id);
	}

	/** See Fleet.addDependencies. */
	addDependencies(id: string, dependsOn: string[]): Task {
		const {ledger, gate} = this.#parts;
		this.#assertHeld(id, 'change the dependencies of');
		const dependencies = gate.checkNewDependencies(ledger.get(id), dependsOn);
		gate.forget(id);
		ledger.update(id, {dependsOn: dependencies});
		gate.admit(ledger.get(id));
		this.#parts.pump();
		return ledger.get(id);
	}

	/** Cancels a task this host holds (see Fleet.cancel, which sends one another host holds there). */
	async cancel(id: string, {by, reason}: CancelRequest): Promise<Task> {
		const {ledger, supervisor} = this.#parts;
		const task = ledger.get(id);
		const why = reason?.trim() || 'no reason given';
		if (isTerminal(task.status)) throw new InvalidInputError(`Task ${id} already ended (${task.status}); there is nothing to cancel.`);
		this.#assertHeld(id, 'cancel');
		if (!supervisor.has(id)) {
			this.#parts.gate.forget(id);
			this.#parts.finisher.finish(task, 'cancelled', {cancelledBy: by, failureReason: why});
			this.#parts.pump();
			return ledger.get(id);
		}
		await supervisor.stop(id, {kind: 'cancel', by, reason: why}, `cancelled by ${by}: ${why}`);
		return ledger.get(id);
	}

	/** With a shared store, only the host holding a task changes it here; faces carry changes to its holder (fleet.anywhere, cancel). */
	#assertHeld(id: string, action: string): void {
		const shared = this.#parts.shared;
		if (!shared || this.#parts.ledger.active(id)) return;
		throw new InvalidInputError(
			`Task ${id} is not held by this host (${shared.hostId}): it waits for a host to claim it, or another host runs it. ` +
				`To ${action} it, try again in a moment: the change goes to the host that holds it once this host hears who that is.`,
		);
	}
}
