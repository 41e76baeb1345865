import type {FleetChanges, FleetCounters} from '../protocol/fleet-changes.js';
import type {DashboardSchedule, DashboardTask} from './fleet-source.js';
import type {PushedChanges} from './store-intake.js';

/** Least time between two flushes of pushed changes into the store: at most ten renders a second from pushes. */
export const PUSH_FLUSH_MS = 100;

/** One flush: the newest of every task and schedule pushed since the last, and the tasks whose output changed. */
export type PushFlush = PushedChanges & {output: ReadonlySet<string>};

export type PushBatcher = {
	/** Adds a change set: flushed at once after a quiet spell, else at the end of the current window. */
	push(changes: FleetChanges): void;
	/**
	 * An action's answer: batched like a push (it is newer than anything batched) and flushed at once, unless a
	 * snapshot is in flight (then with the rest, after it).
	 */
	pushNow(changes: FleetChanges): void;
	/**
	 * Holds flushes while a snapshot is in flight and flushes on release: what arrives meanwhile may be newer than
	 * parts of the snapshot, so it goes in after it. What is batched when the hold begins is older than the snapshot
	 * and goes in first.
	 */
	hold(): void;
	release(): void;
	/** Whether changes wait in the batch (they will flush within `flushMs`, unless a snapshot holds them). */
	hasPending(): boolean;
	/** Drops the batch and the timer. Idempotent. */
	dispose(): void;
};

/**
 * Batches pushed change sets so that the store sees at most one flush per `flushMs`, however many arrive: later views
 * of a task or schedule replace earlier ones in the batch, output ids are a set, and the fleet's counters are the last.
 */
export function createPushBatcher(flush: (batch: PushFlush) => void, options: {flushMs?: number} = {}): PushBatcher {
	const flushMs = options.flushMs ?? PUSH_FLUSH_MS;
	let tasks = new Map<string, DashboardTask>();
	let schedules = new Map<string, DashboardSchedule>();
	let output = new Set<string>();
	let fleet: FleetCounters | undefined;
	let isBatched = false;
	let timer: NodeJS.Timeout | undefined;
	/** The window after a flush is open: the next flush waits for its end. */
	let isWindowOpen = false;
	let holds = 0;
	let isDisposed = false;

	const flushBatch = () => {
		if (!isBatched || isDisposed) return;
		const batch: PushFlush = {tasks: [...tasks.values()], schedules: [...schedules.values()], output, ...(fleet ? {fleet} : {})};
		tasks = new Map();
		schedules = new Map();
		output = new Set();
		fleet = undefined;
		isBatched = false;
		flush(batch);
	};

	const openWindow = () => {
		isWindowOpen = true;
		timer = setTimeout(() => {
			timer = undefined;
			isWindowOpen = false;
			if (!isBatched || holds > 0) return;
			flushBatch();
			openWindow();
		}, flushMs);
	};

	const schedule = () => {
		if (timer || holds > 0) return;
		// The leading flush waits for the end of this turn of the event loop: the notifications one read of the socket
		// brought go in together.
		timer = setTimeout(() => {
			timer = undefined;
			if (holds > 0) return;
			flushBatch();
			openWindow();
		}, 0);
	};

	const add = (changes: FleetChanges) => {
		for (const task of changes.tasks) tasks.set(task.id, task);
		for (const change of changes.schedules) schedules.set(change.id, change);
		for (const id of changes.output) output.add(id);
		if (changes.fleet) fleet = changes.fleet;
		isBatched = true;
	};

	return {
		push(changes) {
			if (isDisposed) return;
			add(changes);
			if (!isWindowOpen) schedule();
		},
		pushNow(changes) {
			if (isDisposed) return;
			add(changes);
			if (holds === 0) flushBatch();
		},
		hold() {
			if (holds === 0) flushBatch();
			holds++;
		},
		release() {
			holds = Math.max(0, holds - 1);
			if (holds > 0 || !isBatched) return;
			if (timer && !isWindowOpen) return;
			if (!isWindowOpen) {
				flushBatch();
				openWindow();
			}
		},
		hasPending: () => isBatched,
		dispose() {
			isDisposed = true;
			clearTimeout(timer);
		},
	};
}
