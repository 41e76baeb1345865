// The hosts of a shared fleet (`fleet.hosts`): this host's id and the lease, every host of the fleet, which host holds
// a task, and what a pinned task waits for when no live host may take it. On one host there are none of these.
import type {Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {FleetHost, TaskCoordinator} from '../ports/task-coordinator.js';
import {unplaceable} from './placement.js';

export class FleetHosts {
	readonly #coordinator: TaskCoordinator | undefined;
	readonly #clock: Clock;
	readonly #holdsHere: (taskId: string) => boolean;
	/** The shared fleet's hosts as last read (placement: whether any live host may take a pinned task). */
	#seen: {at: number; hosts: FleetHost[]} | undefined;
	#isReading = false;

	/** `holdsHere` says whether this host holds the task (its own tasks are known without asking the coordinator). */
	constructor(coordinator: TaskCoordinator | undefined, clock: Clock, holdsHere: (taskId: string) => boolean) {
		this.#coordinator = coordinator;
		this.#clock = clock;
		this.#holdsHere = holdsHere;
	}

	/** With several hosts, this host's id; undefined on one host. */
	get ownId(): string | undefined {
		return this.#coordinator?.hostId;
	}

	/** With several hosts, how long a silent host keeps its tasks; undefined on one host. */
	get leaseMs(): number | undefined {
		return this.#coordinator?.leaseMs;
	}

	/** With several hosts, every host of the fleet (id, labels, last heartbeat); on one host, none. */
	async list(): Promise<FleetHost[]> {
		const hosts = (await this.#coordinator?.hosts?.()) ?? [];
		this.#seen = {at: this.#clock.now(), hosts};
		return hosts;
	}

	/** With several hosts, the host that holds or ran a task (as this host last heard); undefined on one host, or when none has yet. */
	ofTask(id: string): string | undefined {
		const coordinator = this.#coordinator;
		if (!coordinator) return undefined;
		// This host's own tasks are known without asking the mirror, which may not have heard its own claim back.
		return this.#holdsHere(id) ? coordinator.hostId : coordinator.holder?.(id);
	}

	/**
	 * With several hosts, what a queued pinned task waits for when no live host may take it ("a host with label gpu").
	 * Judged on the hosts as last read (read again in the background once older than a third of the lease), so a view
	 * stays synchronous; undefined until they were read once.
	 */
	waitingFor(task: Task): string | undefined {
		const coordinator = this.#coordinator;
		if (!coordinator?.hosts || task.status !== 'queued' || (task.host === undefined && task.label === undefined)) return undefined;
		const seen = this.#seen;
		if (!this.#isReading && (!seen || this.#clock.now() - seen.at > coordinator.leaseMs / 3)) {
			this.#isReading = true;
			// A failed read leaves the hosts as last read; the next view tries again.
			void this.list()
				.catch(() => {})
				.finally(() => (this.#isReading = false));
		}
		return seen && unplaceable(task, seen.hosts, seen.at, coordinator.leaseMs);
	}
}
