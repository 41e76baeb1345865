import {PRIORITIES, type Priority} from './domain/task.js';

/** Task ids waiting to run: P0 before P1 before P2, first in first out within one priority. */
export class PriorityQueue {
	readonly #lanes: Record<Priority, string[]> = {P0: [], P1: [], P2: []};
	readonly #priorityOf = new Map<string, Priority>();

	get size(): number {
		return this.#priorityOf.size;
	}

	has(id: string): boolean {
		return this.#priorityOf.has(id);
	}

	/** Adds an id at the back of its priority's line, or at the front with `first` (a task that already had its turn). */
	push(id: string, priority: Priority, options: {first?: boolean} = {}): void {
		if (this.#priorityOf.has(id)) return;
		if (options.first) this.#lanes[priority].unshift(id);
		else this.#lanes[priority].push(id);
		this.#priorityOf.set(id, priority);
	}

	/** Removes and returns the next id, or undefined when empty. */
	shift(): string | undefined {
		for (const priority of PRIORITIES) {
			const id = this.#lanes[priority].shift();
			if (id !== undefined) {
				this.#priorityOf.delete(id);
				return id;
			}
		}
		return undefined;
	}

	remove(id: string): boolean {
		const priority = this.#priorityOf.get(id);
		if (priority === undefined) return false;
		const lane = this.#lanes[priority];
		lane.splice(lane.indexOf(id), 1);
		this.#priorityOf.delete(id);
		return true;
	}

	/** The id that would come out next, left in place. */
	peek(): string | undefined {
		for (const priority of PRIORITIES) {
			const id = this.#lanes[priority][0];
			if (id !== undefined) return id;
		}
		return undefined;
	}

	/** 1-based place of an id in the running order, or 0 when it is not queued; without building the whole order. */
	position(id: string): number {
		const priority = this.#priorityOf.get(id);
		if (priority === undefined) return 0;
		let ahead = 0;
		for (const other of PRIORITIES) {
			if (other === priority) break;
			ahead += this.#lanes[other].length;
		}
		return ahead + this.#lanes[priority].indexOf(id) + 1;
	}

	/** Ids in the order they would run. */
	toArray(): string[] {
		return PRIORITIES.flatMap(priority => this.#lanes[priority]);
	}
}
