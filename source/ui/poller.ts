import {isTerminal} from '../core/domain/task.js';
import {familyOf} from './dag-family.js';
import type {DashboardTask, FleetSource} from './fleet-source.js';
import {applyFamilyExtras, applyOutput, applySnapshot, applySnapshotError, selectedTask, type DashboardStore} from './store.js';

/** Least time between two snapshots. */
export const SNAPSHOT_INTERVAL_MS = 500;
/** Least time between two fetches of the selected task's output. */
export const OUTPUT_INTERVAL_MS = 400;
/** Family members fetched by id in one pull: a deep, old family fills in over a few pulls instead of one burst. */
export const FAMILY_FETCHES_PER_PULL = 10;

export type PollerOptions = {snapshotMs?: number; outputMs?: number};

export type Poller = {
	/** Takes a snapshot now, or joins the one in flight. */
	refresh(): Promise<void>;
	/** Fetches the selected task's output now, or joins the fetch in flight. */
	refreshOutput(): Promise<void>;
	/** Stops both timers; anything still in flight is dropped when it lands. Idempotent. */
	dispose(): void;
};

/**
 * The one bridge between the fleet and the store. It pulls a snapshot at most every SNAPSHOT_INTERVAL_MS and the
 * selected task's output at most every OUTPUT_INTERVAL_MS, and makes one setState per pull (none when nothing
 * changed), so the dashboard renders at a steady pace however fast the workers write. A pull never overlaps the
 * previous one: the next is timed from the end of the last. When the core pushes changes (MCP resource
 * subscriptions), this is the only file that changes: the same setState calls, fed by notifications.
 */
export function startPoller(source: FleetSource, store: DashboardStore, options: PollerOptions = {}): Poller {
	const snapshotMs = options.snapshotMs ?? SNAPSHOT_INTERVAL_MS;
	const outputMs = options.outputMs ?? OUTPUT_INTERVAL_MS;
	let isDisposed = false;
	let snapshotInFlight: Promise<void> | undefined;
	let outputInFlight: Promise<void> | undefined;
	let snapshotTimer: NodeJS.Timeout | undefined;
	let outputTimer: NodeJS.Timeout | undefined;

	const pullSnapshot = async () => {
		try {
			const snapshot = await source.snapshot();
			if (!isDisposed) applySnapshot(store, snapshot);
		} catch (error) {
			if (!isDisposed) applySnapshotError(store, messageOf(error));
		}
	};

	const pullOutput = async () => {
		const state = store.getState();
		const task = selectedTask(state);
		try {
			if (!task || task.status === 'queued') {
				// A queued task has written nothing yet; the pane says so without asking.
				applyOutput(store, undefined);
				return;
			}
			// A finished task's log no longer changes: fetch it once, not four times a second.
			if (isTerminal(task.status) && state.output?.taskId === task.id && !state.output.live) return;
			const output = await source.output(task.id);
			if (!isDisposed) applyOutput(store, {taskId: task.id, ...output});
		} catch (error) {
			// The task may be gone, or the core; a lost core shows in the status bar through the snapshot.
			if (!isDisposed && task) applyOutput(store, {taskId: task.id, lines: [`(no output: ${messageOf(error)})`], live: false});
		}
	};

	// Ids task_status could not find: asked once, not on every pull.
	const unknownIds = new Set<string>();

	/**
	 * Fetches the members of the selected task's family that the snapshot lacks (older than its newest tasks), so the
	 * DAG pane can draw the whole family. Fetched members stay while they belong to the family shown.
	 */
	const pullFamily = async () => {
		const state = store.getState();
		const task = selectedTask(state);
		if (!task) return;
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
		for (const member of fetched) if (member) kept[member.id] = member;
		if (!isDisposed) applyFamilyExtras(store, kept);
	};

	// The in-flight marker is cleared in a `.finally` of its own: a pull that finishes synchronously must not
	// clear it before it is set.
	const refresh = (): Promise<void> => {
		if (isDisposed) return Promise.resolve();
		snapshotInFlight ??= pullSnapshot().finally(() => {
			snapshotInFlight = undefined;
		});
		return snapshotInFlight;
	};

	const refreshOutput = (): Promise<void> => {
		if (isDisposed) return Promise.resolve();
		outputInFlight ??= Promise.all([pullOutput(), pullFamily().catch(() => undefined)]).then(() => undefined).finally(() => {
			outputInFlight = undefined;
		});
		return outputInFlight;
	};

	const loop = (run: () => Promise<void>, intervalMs: number, setTimer: (timer: NodeJS.Timeout) => void) => {
		const tick = () => {
			setTimer(
				setTimeout(() => {
					void run().finally(() => {
						if (!isDisposed) tick();
					});
				}, intervalMs),
			);
		};
		void run().finally(() => {
			if (!isDisposed) tick();
		});
	};

	loop(refresh, snapshotMs, timer => {
		snapshotTimer = timer;
	});
	loop(refreshOutput, outputMs, timer => {
		outputTimer = timer;
	});

	return {
		refresh,
		refreshOutput,
		dispose() {
			isDisposed = true;
			clearTimeout(snapshotTimer);
			clearTimeout(outputTimer);
		},
	};
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
