import {transition} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {PriorityQueue} from '../queue.js';
import type {TaskLedger} from './task-ledger.js';
import type {UsageLimit} from './usage-limit.js';

/**
 * The tasks parked at the account's usage limit: woken at their reset, back to the head of the queue, to go on from
 * their conversation. A later rejection may move the reset; parked tasks then wait for the latest one.
 */
export class Parking {
	readonly #ledger: TaskLedger;
	readonly #queue: PriorityQueue;
	readonly #usage: UsageLimit;
	readonly #clock: Clock;
	/** Runs after a timer woke parked tasks, so that they start. */
	readonly #onWoken: () => void;
	#cancelTimer: (() => void) | undefined;
	#isStopped = false;

	constructor(ports: {ledger: TaskLedger; queue: PriorityQueue; usage: UsageLimit; clock: Clock; onWoken: () => void}) {
		this.#ledger = ports.ledger;
		this.#queue = ports.queue;
		this.#usage = ports.usage;
		this.#clock = ports.clock;
		this.#onWoken = ports.onWoken;
	}

	/** Sets the timer for the earliest reset among the parked tasks (none when nothing is parked). */
	arm(): void {
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
		if (this.#isStopped) return;
		let earliest = Number.POSITIVE_INFINITY;
		for (const task of this.#ledger.activeTasks()) if (task.status === 'parked') earliest = Math.min(earliest, task.parkedUntil ?? 0);
		if (earliest === Number.POSITIVE_INFINITY) return;
		this.#cancelTimer = this.#clock.setTimeout(
			() => {
				this.#cancelTimer = undefined;
				this.releaseDue();
				this.arm();
				this.#onWoken();
			},
			Math.max(0, earliest - this.#clock.now()),
		);
	}

	/** Puts the parked tasks whose reset came at the head of the queue, in the order they were parked. */
	releaseDue(): void {
		const now = this.#clock.now();
		const limitedUntil = this.#usage.limitedUntil();
		const due = [...this.#ledger.activeTasks()].filter(task => task.status === 'parked' && (task.parkedUntil ?? 0) <= now);
		// Each goes to the front of its line, so the last pushed runs first: push in reverse to keep their order.
		for (const task of due.reverse()) {
			if (limitedUntil !== undefined) {
				this.#ledger.update(task.id, {parkedUntil: limitedUntil});
				continue;
			}
			const next = transition(task, 'queued', now);
			if (this.#ledger.save(next, task.status)) this.#queue.push(next.id, next.priority, {first: true});
		}
	}

	stop(): void {
		this.#isStopped = true;
		this.#cancelTimer?.();
		this.#cancelTimer = undefined;
	}
}
