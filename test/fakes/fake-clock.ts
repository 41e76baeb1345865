import type {Clock} from '../../source/core/ports/clock.js';

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
	#now: number;
	#timers: {at: number; fn: () => void; seq: number}[] = [];
	#seq = 0;

	constructor(start = Date.UTC(2026, 10, 23, 9)) {
		this.#now = start;
	}

	now(): number {
		return this.#now;
	}

	setTimeout(fn: () => void, ms: number): () => void {
		const timer = {at: this.#now + ms, fn, seq: this.#seq++};
		this.#timers.push(timer);
		return () => {
			this.#timers = this.#timers.filter(t => t !== timer);
		};
	}

	/** Moves time forward, running due timers in order (timers they set run too if due). */
	advance(ms: number): void {
		const end = this.#now + ms;
		for (;;) {
			const due = this.#timers.filter(t => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
			if (!due) break;
			this.#timers = this.#timers.filter(t => t !== due);
			this.#now = Math.max(this.#now, due.at);
			due.fn();
		}
		this.#now = end;
	}

	get pendingTimers(): number {
		return this.#timers.length;
	}
}
