import type {Clock} from '../../core/ports/clock.js';

export const systemClock: Clock = {
	now: () => Date.now(),
	setTimeout(fn, ms) {
		// setTimeout overflows above 2^31-1 ms (about 24.8 days) and would fire at once; step through long waits.
		const MAX = 2 ** 31 - 1;
		let timer: NodeJS.Timeout;
		const arm = (left: number) => {
			timer = setTimeout(() => (left > MAX ? arm(left - MAX) : fn()), Math.min(left, MAX));
			timer.unref();
		};
		arm(ms);
		return () => clearTimeout(timer);
	},
};
