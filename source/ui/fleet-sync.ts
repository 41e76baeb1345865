import type {DashboardSchedule, DashboardTask, FleetSource, SnapshotOptions} from './fleet-source.js';
import {createOutputFollower, type OutputFollower} from './output-follower.js';
import {createPushBatcher, PUSH_FLUSH_MS} from './push-batcher.js';
import {applyChanges, applySnapshot, applySnapshotError, tickClock} from './store-intake.js';
import {selectedTask, type DashboardState, type DashboardStore} from './store.js';
import {messageOf} from '../core/domain/errors.js';

/** Snapshots while the core pushes: only to catch what no event announces (CPU, memory, workers' RSS) and to heal drift. */
export const FALLBACK_SNAPSHOT_MS = 5000;
/** Snapshots while nothing is pushed (an older core, or the connection is being made again). */
export const POLL_SNAPSHOT_MS = 500;
/** The selected task's output while nothing is pushed. */
export const POLL_OUTPUT_MS = 400;
/** How often elapsed times move on while no snapshot comes to move them. */
export const CLOCK_TICK_MS = 1000;

export type FleetSyncOptions = {
	/** @default FALLBACK_SNAPSHOT_MS */
	fallbackSnapshotMs?: number;
	/** @default POLL_SNAPSHOT_MS */
	pollSnapshotMs?: number;
	/** @default POLL_OUTPUT_MS */
	pollOutputMs?: number;
	/** @default PUSH_FLUSH_MS */
	flushMs?: number;
	/** @default OUTPUT_MIN_INTERVAL_MS */
	outputMinMs?: number;
	/** @default CLOCK_TICK_MS */
	clockMs?: number;
	/** Epoch ms for the clock tick. */
	clock?: () => number;
};

/** What the controller hands over after an action. */
export type ActionResults = {
	/** A task an action changed or made, put in order with the pushed changes: nothing older can overwrite it. */
	task(task: DashboardTask): void;
	schedule(schedule: DashboardSchedule): void;
	/** The fleet changed: a snapshot soon, unless the core pushes the change by itself. */
	changed(): void;
};

export type FleetSync = {
	/** Takes a snapshot now (schedules included), or joins the one in flight; then the output and the family. */
	refresh(): Promise<void>;
	/** Fetches the selected task's output now, or joins the fetch in flight. */
	refreshOutput(): Promise<void>;
	/** Whether the core pushes its changes (else the dashboard polls). */
	isLive(): boolean;
	readonly results: ActionResults;
	/** Stops every timer and listener; anything in flight is dropped when it lands. Idempotent. */
	dispose(): void;
};

/**
 * The one bridge between the fleet and the store. When the core pushes (FleetSource.watch), its change sets are
 * batched into at most one setState per `flushMs`, the selected task's output is fetched only when the core says it
 * changed (or the selection did), and a snapshot comes only every `fallbackSnapshotMs`. When it cannot push, or the
 * connection was lost, the dashboard polls as before: a snapshot every `pollSnapshotMs` and the output every
 * `pollOutputMs`, until the push runs again (and a snapshot then catches up on what was missed).
 */
export function startFleetSync(source: FleetSource, store: DashboardStore, options: FleetSyncOptions = {}): FleetSync {
	const fallbackSnapshotMs = options.fallbackSnapshotMs ?? FALLBACK_SNAPSHOT_MS;
	const pollSnapshotMs = options.pollSnapshotMs ?? POLL_SNAPSHOT_MS;
	const pollOutputMs = options.pollOutputMs ?? POLL_OUTPUT_MS;
	const clock = options.clock ?? Date.now;
	const clockMs = options.clockMs ?? CLOCK_TICK_MS;
	const flushMs = options.flushMs ?? PUSH_FLUSH_MS;
	let isDisposed = false;
	let isLive = false;
	let snapshotInFlight: Promise<void> | undefined;
	let snapshotTimer: NodeJS.Timeout | undefined;
	let outputTimer: NodeJS.Timeout | undefined;
	let clockTimer: NodeJS.Timeout | undefined;
	const follower: OutputFollower = createOutputFollower(source, store, {
		...(options.outputMinMs === undefined ? {} : {minIntervalMs: options.outputMinMs}),
		// Snapshots move the clock while polling; only pushed output moves it.
		tick: () => (isLive ? {now: clock(), ms: clockMs} : undefined),
	});

	const batcher = createPushBatcher(
		({output, ...changes}) => {
			applyChanges(store, changes, clock(), clockMs);
			const selected = selectedTask(store.getState());
			// Its output, or its status (a finished task's screen gives way to its log).
			if (selected && (output.has(selected.id) || changes.tasks.some(task => task.id === selected.id))) follower.request();
		},
		{flushMs},
	);

	const pullSnapshot = async (snapshotOptions: SnapshotOptions) => {
		batcher.hold();
		try {
			const snapshot = await source.snapshot(snapshotOptions);
			if (!isDisposed) applySnapshot(store, snapshot);
		} catch (error) {
			if (!isDisposed) applySnapshotError(store, messageOf(error));
		} finally {
			batcher.release();
		}
	};

	// The in-flight marker is cleared in a `.finally` of its own: a pull that finishes synchronously must not
	// clear it before it is set.
	const snapshot = (snapshotOptions: SnapshotOptions = {}): Promise<void> => {
		if (isDisposed) return Promise.resolve();
		snapshotInFlight ??= pullSnapshot(snapshotOptions).finally(() => {
			snapshotInFlight = undefined;
		});
		return snapshotInFlight;
	};

	/** Snapshots on a timer, the next timed from the end of the last, at the pace the push state asks for. */
	const armSnapshots = () => {
		clearTimeout(snapshotTimer);
		if (isDisposed) return;
		snapshotTimer = setTimeout(
			() => {
				// Pushed schedules need no polling; polled ones come every other snapshot.
				void snapshot(isLive ? {withSchedules: false} : {}).finally(armSnapshots);
			},
			isLive ? fallbackSnapshotMs : pollSnapshotMs,
		);
	};

	const armOutputPolling = () => {
		clearTimeout(outputTimer);
		if (isDisposed || isLive) return;
		outputTimer = setTimeout(() => {
			void follower.refresh().finally(armOutputPolling);
		}, pollOutputMs);
	};

	/**
	 * Ticks when the time shown is a tick old. A flush or new output moves it too: one in between makes the tick wait
	 * for its own time, and one about to come (changes wait in the batch, the selected output keeps changing) moves it
	 * instead of a frame of the tick's own.
	 */
	const armClock = (atLeastMs = 0) => {
		clearTimeout(clockTimer);
		if (isDisposed || !isLive) return;
		const shown = store.getState().snapshot?.takenAt ?? clock();
		clockTimer = setTimeout(
			() => {
				if (clock() - (store.getState().snapshot?.takenAt ?? 0) < clockMs) {
					armClock();
				} else if (batcher.hasPending() || follower.isFollowing()) {
					armClock(flushMs);
				} else {
					tickClock(store, clock());
					armClock();
				}
			},
			Math.max(atLeastMs, shown + clockMs - clock()),
		);
	};

	const setLive = (live: boolean) => {
		if (isDisposed) return;
		isLive = live;
		armSnapshots();
		armOutputPolling();
		armClock();
	};

	const refresh = async () => {
		const fetchesBefore = follower.fetches();
		await snapshot({withSchedules: true});
		await Promise.all([follower.refresh(fetchesBefore), follower.pullFamily()]);
	};

	// A new selection shows its output and its family at once, not at the next change.
	const selectedId = (state: DashboardState) => state.selection[state.activeList];
	const unsubscribeStore = store.subscribe((state, previous) => {
		if (selectedId(state) === selectedId(previous) && state.activeList === previous.activeList) return;
		follower.request(true);
		void follower.pullFamily();
	});

	/** The push said whether it runs before `watch` resolved (a connection lost at once): that word is the newer. */
	let hasLiveNews = false;

	const start = async () => {
		const isWatching = source.watch
			? await source
					.watch({
						onChanges: changes => {
							if (!isDisposed && isLive) batcher.push(changes);
						},
						onLive: live => {
							hasLiveNews = true;
							setLive(live);
							// Back on a new connection: what changed while it was down (schedules too) comes with a
							// snapshot taken after the one in flight, which was asked for before the push ran again.
							if (live) void (snapshotInFlight ?? Promise.resolve()).then(refresh);
						},
					})
					.catch(() => false)
			: false;
		if (isDisposed) return;
		// Subscribed first, then the snapshot: a change after it is pushed, so none falls between the two.
		if (!hasLiveNews) isLive = isWatching;
		await refresh();
		setLive(isLive);
	};
	void start();

	return {
		refresh,
		refreshOutput: () => follower.refresh(),
		isLive: () => isLive,
		results: {
			task: task => batcher.pushNow({tasks: [task], output: [], schedules: []}),
			schedule: schedule => batcher.pushNow({tasks: [], output: [], schedules: [schedule]}),
			changed() {
				if (!isLive) void snapshot();
			},
		},
		dispose() {
			if (isDisposed) return;
			isDisposed = true;
			clearTimeout(snapshotTimer);
			clearTimeout(outputTimer);
			clearTimeout(clockTimer);
			unsubscribeStore();
			batcher.dispose();
			follower.dispose();
		},
	};
}
