import {isTerminal} from '../core/domain/task.js';
import {familyOf, MAX_FAMILY} from './dag-family.js';
import type {DashboardTask, FleetSource} from './fleet-source.js';
import {applyFamilyExtras, applyOutput} from './store-intake.js';
import {selectedTask, type DashboardStore} from './store.js';
import {messageOf} from '../core/domain/errors.js';

/**
 * Least time between two fetches of the selected task's output: a busy worker's screen is redrawn at most this often.
 * Every frame is drawn whole, so this sets most of what a busy dashboard costs.
 */
export const OUTPUT_MIN_INTERVAL_MS = 500;
/** Family members fetched by id in one round. */
const FAMILY_FETCHES_PER_PULL = 10;

export type OutputFollower = {
	/**
	 * Fetches the selected task's output soon: now, or OUTPUT_MIN_INTERVAL_MS after the last fetch began. `isUrgent`
	 * (another task was selected): now, or as soon as the fetch in flight (for the task selected before) lands.
	 */
	request(isUrgent?: boolean): void;
	/**
	 * Fetches it now, or joins the fetch in flight; with `since` (a `fetches()` count), joins the latest fetch instead
	 * when one began after that count was read (a snapshot that changed the selection has already asked for it).
	 */
	refresh(since?: number): Promise<void>;
	/** How many fetches have begun. */
	fetches(): number;
	/**
	 * Whether the output is being followed: a fetch is in flight or waits for its time, or one began less than two
	 * intervals ago (the output keeps changing, so another comes soon).
	 */
	isFollowing(): boolean;
	/** Fetches the members of the selected task's family that the store lacks (older than its newest tasks). */
	pullFamily(): Promise<void>;
	/** Drops what is pending; anything in flight is dropped when it lands. Idempotent. */
	dispose(): void;
};

/**
 * Keeps the Output pane's lines: the selected task's screen (or log) fetched when something says it changed, at
 * most every `minIntervalMs`, one fetch at a time, one setState per fetch (none when the lines are the same).
 */
export type OutputFollowerOptions = {
	/** @default OUTPUT_MIN_INTERVAL_MS */
	minIntervalMs?: number;
	/** When it gives a time, the clock shown moves with new output once it is `ms` old (see applyOutput). */
	tick?: () => {now: number; ms: number} | undefined;
};

export function createOutputFollower(source: FleetSource, store: DashboardStore, options: OutputFollowerOptions = {}): OutputFollower {
	const minIntervalMs = options.minIntervalMs ?? OUTPUT_MIN_INTERVAL_MS;
	const tick = () => options.tick?.();
	let isDisposed = false;
	let inFlight: Promise<void> | undefined;
	let lastStarted = Number.NEGATIVE_INFINITY;
	let last: Promise<void> = Promise.resolve();
	let fetches = 0;
	let timer: NodeJS.Timeout | undefined;
	/** A request came while a fetch was in flight: what it fetches may already be old. */
	let isRequestedAgain = false;
	let isUrgent = false;

	const pull = async () => {
		const state = store.getState();
		const task = selectedTask(state);
		try {
			if (!task || task.status === 'queued') {
				// A queued task has written nothing yet; the pane says so without asking.
				applyOutput(store, undefined);
				return;
			}
			// A finished task's log no longer changes: fetched once, not on every request.
			if (isTerminal(task.status) && state.output?.taskId === task.id && !state.output.live) return;
			const output = await source.output(task.id);
			if (!isDisposed) applyOutput(store, {taskId: task.id, ...output}, tick());
		} catch (error) {
			// The task may be gone, or the core; a lost core shows in the status bar through the snapshot.
			if (!isDisposed && task) applyOutput(store, {taskId: task.id, lines: [`(no output: ${messageOf(error)})`], live: false});
		}
	};

	// The in-flight marker is cleared in a `.finally` of its own: a pull that finishes synchronously must not
	// clear it before it is set.
	const refresh = (since?: number): Promise<void> => {
		if (isDisposed) return Promise.resolve();
		if (inFlight) return inFlight;
		if (since !== undefined && fetches > since) return last;
		clearTimeout(timer);
		timer = undefined;
		lastStarted = Date.now();
		fetches++;
		inFlight = pull().finally(() => {
			inFlight = undefined;
			if (isRequestedAgain) {
				isRequestedAgain = false;
				request(isUrgent);
			}
		});
		last = inFlight;
		return inFlight;
	};

	const request = (urgent = false) => {
		if (isDisposed) return;
		if (inFlight) {
			isRequestedAgain = true;
			isUrgent ||= urgent;
			return;
		}
		isUrgent = false;
		if (timer && !urgent) return;
		const wait = urgent ? 0 : lastStarted + minIntervalMs - Date.now();
		if (wait <= 0) {
			void refresh();
			return;
		}
		timer = setTimeout(() => {
			timer = undefined;
			void refresh();
		}, wait);
	};

	// Ids task_status could not find: asked once, not on every pull.
	const unknownIds = new Set<string>();

	/** One round: at most FAMILY_FETCHES_PER_PULL members; true when it found some (whose own parents may be missing). */
	const pullFamilyRound = async (): Promise<boolean> => {
		const state = store.getState();
		const task = selectedTask(state);
		if (!task) return false;
		const family = familyOf(state.snapshot?.tasks ?? [], state.familyExtras, task.id);
		const kept: Record<string, DashboardTask> = {};
		for (const member of family.members) if (state.familyExtras[member.id] === member) kept[member.id] = member;
		const wanted = family.missing.filter(id => !unknownIds.has(id)).slice(0, FAMILY_FETCHES_PER_PULL);
		const fetched = await Promise.all(
			wanted.map(id =>
				source.task(id).catch(() => {
					unknownIds.add(id);
					return undefined;
				}),
			),
		);
		let isFound = false;
		for (const member of fetched) {
			if (!member) continue;
			kept[member.id] = member;
			isFound = true;
		}
		if (isDisposed) return false;
		applyFamilyExtras(store, kept);
		return isFound;
	};

	const pullFamily = async () => {
		// A deep, old family fills in over a few rounds, a generation or so at a time, instead of one burst of calls.
		for (let round = 0; round < MAX_FAMILY / FAMILY_FETCHES_PER_PULL && (await pullFamilyRound()); round++);
	};

	return {
		request: urgent => request(urgent),
		refresh: since => refresh(since),
		fetches: () => fetches,
		isFollowing: () => inFlight !== undefined || timer !== undefined || Date.now() - lastStarted < 2 * minIntervalMs,
		pullFamily: () => pullFamily().catch(() => undefined),
		dispose() {
			isDisposed = true;
			clearTimeout(timer);
		},
	};
}
