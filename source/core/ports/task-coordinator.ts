import type {Task} from '../domain/task.js';

/** A host of a shared fleet as the shared store records it. */
export type FleetHost = {id: string; labels: string[]; heartbeatAt: number; stoppedAt?: number};

/** Where a claimed task came from: the host whose lease on it ran out while it held it, and when (epoch ms). */
export type TakenOver = {fromHost: string; at: number};

/**
 * Several hosts on one shared store: which of the fleet's queued tasks this host takes, and for how long it holds them
 * (a lease its heartbeat renews). Without a coordinator every task a fleet inserts is its own (one host, SQLite).
 * See docs/research/multi-host-store.md §4.2–4.4.
 */
export type TaskCoordinator = {
	readonly hostId: string;
	/** How long a claim holds without a heartbeat; the fleet beats every third of it. */
	readonly leaseMs: number;
	/** Takes up to `max` runnable tasks (dependencies met) nobody holds, in running order; the store already has them. */
	claim(max: number): Promise<Task[]>;
	/** Takes up to `max` queued tasks a failed dependency dooms, for the dependency gate to end. */
	claimDoomed(max: number): Promise<Task[]>;
	/** Renews this host's leases; the ids it still holds (a task missing was taken over). */
	heartbeat(): Promise<string[]>;
	/** Frees the tasks of hosts whose lease ran out, for any host to claim. */
	reclaimExpired(): Promise<unknown[]>;
	/** Gives back this host's tasks (those named, or all), queued again for any host. */
	release(ids?: readonly string[]): Promise<unknown[]>;
	/**
	 * For a task of this host's claims: the host it was taken from when that host's lease ran out (its latest such
	 * change of hands), or undefined when it never was. Answered from what the claim read, so without a round trip.
	 */
	takenOver?(taskId: string): TakenOver | undefined;
	/** The host that holds a task, or last held it (ran it), as this host last heard; undefined: none yet. */
	holder?(taskId: string): string | undefined;
	/** Every host that ever joined the fleet, with its labels and last heartbeat (epoch ms). */
	hosts?(): Promise<FleetHost[]>;
	/** Ids of the tasks this host holds now (at start: what recovery may touch). */
	held(): Promise<string[]>;
	/** A task became claimable somewhere (a new queued task, a takeover, a dependency ended). */
	onWork(listener: () => void): () => void;
	/** A write of this host was refused because another host holds the task now. */
	onLost(listener: (taskId: string, holder: string | undefined) => void): () => void;
};
