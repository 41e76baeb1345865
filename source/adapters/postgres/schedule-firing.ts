import type {Logger} from '../../core/ports/logger.js';
import type {FiringClaim, ScheduleFiring} from '../../core/ports/schedule-firing.js';
import {LeaderLock} from './leader-lock.js';
import type {PostgresScheduleStore} from './postgres-schedule-store.js';

/**
 * ScheduleFiring on the shared PostgreSQL: the leader is the host holding the scheduler's advisory lock (LeaderLock),
 * and each due time is claimed in schedule_firings before it fires, so that a leader that lost its session without
 * knowing it yet cannot fire a due time the next leader fires too.
 */
export class PostgresScheduleFiring implements ScheduleFiring {
	readonly hostId: string;
	readonly #lock: LeaderLock;
	readonly #store: PostgresScheduleStore;
	readonly #listeners = new Set<(isLeader: boolean) => void>();
	readonly #flush: () => Promise<void>;

	/** `flush`: waits until this host's schedule writes are in the database (a schedule made here a moment ago). */
	constructor(url: string, store: PostgresScheduleStore, options: {hostId: string; logger: Logger; flush: () => Promise<void>; checkMs?: number}) {
		this.hostId = options.hostId;
		this.#store = store;
		this.#flush = options.flush;
		this.#lock = new LeaderLock(url, {
			applicationName: `ccfleet scheduler ${options.hostId}`,
			...(options.checkMs === undefined ? {} : {checkMs: options.checkMs}),
			// The scheduler logs when it comes to lead and when it stops (with what it found).
			onChange: isLeader => {
				for (const listener of this.#listeners) listener(isLeader);
			},
			onError: error => options.logger.warn('lost the connection that holds the scheduler lead; trying again', {error: String(error)}),
		});
	}

	/** Tries to lead at once (a lone host leads before its scheduler starts), then keeps trying in the background. */
	start(): Promise<void> {
		return this.#lock.start();
	}

	/** Hands the lead over (another host leads within its next check). */
	stop(): Promise<void> {
		return this.#lock.stop();
	}

	isLeader(): boolean {
		return this.#lock.isLeader;
	}

	onLeaderChange(listener: (isLeader: boolean) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	async claim(scheduleId: string, dueAt: number): Promise<FiringClaim> {
		// The claim names the schedule's row, which a schedule created here a moment ago may not have yet.
		await this.#flush();
		return this.#store.claimFiring(scheduleId, dueAt);
	}
}
