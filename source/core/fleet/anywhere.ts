// Control of a task on whichever host of a shared fleet holds it (`fleet.anywhere`): the host holding the task carries
// the change out, and the answer comes back here. On one host each is the fleet's own method. (cancel routes by itself.)
import type {Priority, Task} from '../domain/task.js';
import type {PermissionDecision} from '../ports/worker-driver.js';
import type {AnswerOptions} from './question-desk.js';
import type {RemoteCommands} from './remote-commands.js';

export class Anywhere {
	readonly #control: RemoteCommands;

	constructor(control: RemoteCommands) {
		this.#control = control;
	}

	/** fleet.reprioritize for a task on any host of a shared fleet: the host holding it carries it out; on one host, the same. */
	reprioritize(id: string, priority: Priority): Promise<Task> {
		return this.#control.run({kind: 'reprioritise', taskId: id, priority});
	}

	/** fleet.addDependencies for a task on any host of a shared fleet. */
	addDependencies(id: string, dependsOn: string[]): Promise<Task> {
		return this.#control.run({kind: 'depend', taskId: id, dependsOn});
	}

	/** fleet.respond for a question of a worker on any host of a shared fleet (its host answers it). */
	respond(id: string, decision: PermissionDecision, options: Omit<AnswerOptions, 'by'> = {}): Promise<Task> {
		return this.#control.run({kind: 'answer', taskId: id, decision, ...(options.always ? {always: options.always} : {})});
	}

	/** fleet.respondMatching over every host's waiting questions. */
	respondMatching(rule: string, decision: PermissionDecision, options: AnswerOptions = {}): Promise<Task[]> {
		return this.#control.respondMatching(rule, decision, options);
	}
}
