import {needsInput} from './store-derive.js';
import type {DashboardState, DashboardStore} from './store.js';

/** Rings closer than this are one ring: ten tasks failing together are one event to a person. */
export const BELL_GAP_MS = 2_000;

/** Tasks that want a person now: a worker waiting for an answer, a task that failed. */
function wanting(state: DashboardState): Set<string> {
	const ids = new Set<string>();
	for (const task of state.snapshot?.tasks ?? []) {
		if (task.status === 'failed') ids.add(`failed:${task.id}`);
		else if (needsInput(task)) ids.add(`input:${task.id}`);
	}
	return ids;
}

/**
 * Rings the terminal bell (`ring`) when a worker begins to need input or a task fails, so a person in another window
 * or tab hears it (terminals and tmux mark the window). What was already so when the dashboard opened does not ring.
 * Returns the function that stops it.
 */
export function watchForBell(store: DashboardStore, ring: () => void, now: () => number = Date.now): () => void {
	let known: Set<string> | undefined = store.getState().snapshot ? wanting(store.getState()) : undefined;
	let lastRing = Number.NEGATIVE_INFINITY;
	return store.subscribe((state, previous) => {
		if (state.snapshot === previous.snapshot) return;
		const current = wanting(state);
		const isNew = known !== undefined && [...current].some(id => !known!.has(id));
		known = current;
		if (!isNew || now() - lastRing < BELL_GAP_MS) return;
		lastRing = now();
		ring();
	});
}
