import {render} from 'ink-testing-library';
import {afterEach, beforeEach, expect, test, vi} from 'vitest';
import {App} from '../../source/ui/app.js';
import {POLL_OUTPUT_MS as OUTPUT_INTERVAL_MS, POLL_SNAPSHOT_MS as SNAPSHOT_INTERVAL_MS, startFleetSync, type FleetSync} from '../../source/ui/fleet-sync.js';
import {createDashboardStore} from '../../source/ui/store.js';
import {cleanupDashboards} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

// A core that cannot push (an older one, or while the connection is made again): the dashboard polls, as it did
// before the core pushed anything.
let sync: FleetSync | undefined;

beforeEach(() => {
	// setImmediate stays real: Ink's input parser uses it, and nothing here needs it faked.
	vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']});
});

afterEach(() => {
	sync?.dispose();
	cleanupDashboards();
	vi.useRealTimers();
});

/** A worker that writes a line every millisecond: far more often than anyone should redraw. */
function floodingFleet() {
	const source = new FakeFleetSource([makeTask({id: 'busy0001', status: 'running'})]);
	const lines: string[] = [];
	let written = 0;
	const writer = setInterval(() => {
		lines.push(`line ${++written}`);
		source.outputs.set('busy0001', {lines: lines.slice(-50), live: true});
		source.takenAt = Date.now();
	}, 1);
	return {source, written: () => written, stop: () => clearInterval(writer)};
}

test('snapshots come at most every 500 ms, the output at most every 250 ms', async () => {
	const source = busyFleet();
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	await vi.advanceTimersByTimeAsync(5000);
	expect(source.snapshotCount).toBeLessThanOrEqual(5000 / SNAPSHOT_INTERVAL_MS + 1);
	expect(source.snapshotCount).toBeGreaterThanOrEqual(5000 / SNAPSHOT_INTERVAL_MS - 1);
	expect(source.outputCount).toBeLessThanOrEqual(5000 / OUTPUT_INTERVAL_MS + 1);
	expect(source.outputCount).toBeGreaterThanOrEqual(5000 / OUTPUT_INTERVAL_MS - 2);
});

test('one setState per refresh, however much the workers write', async () => {
	const flood = floodingFleet();
	const store = createDashboardStore();
	let updates = 0;
	store.subscribe(() => updates++);
	sync = startFleetSync(flood.source, store);
	await vi.advanceTimersByTimeAsync(1000);
	flood.stop();
	expect(flood.written()).toBeGreaterThanOrEqual(1000);
	// 2 snapshots and 4 outputs a second, plus the first of each.
	expect(updates).toBeLessThanOrEqual(1000 / SNAPSHOT_INTERVAL_MS + 1000 / OUTPUT_INTERVAL_MS + 2);
	expect(store.getState().output?.lines.at(-1)).toMatch(/^line \d+$/);
});

test('the dashboard redraws from the snapshots, not from every line of output', async () => {
	const flood = floodingFleet();
	const store = createDashboardStore();
	sync = startFleetSync(flood.source, store);
	const instance = render(<App store={store} source={flood.source} defaultCwd="/work" columns={100} rows={30} />);
	const framesBefore = instance.frames.length;
	await vi.advanceTimersByTimeAsync(2000);
	flood.stop();
	expect(flood.written()).toBeGreaterThanOrEqual(2000);
	// The harness renders in debug mode, so every React commit is a frame.
	expect(instance.frames.length - framesBefore).toBeLessThanOrEqual(2 * (1000 / SNAPSHOT_INTERVAL_MS + 1000 / OUTPUT_INTERVAL_MS) + 2);
	expect(instance.lastFrame()).toMatch(/line \d+/);
});

test('a refresh is skipped while the last one is in flight', async () => {
	const source = busyFleet();
	let open!: () => void;
	source.snapshotGate = new Promise(resolve => {
		open = resolve;
	});
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	await vi.advanceTimersByTimeAsync(3000);
	expect(source.snapshotCount).toBe(1);
	const joined = sync.refresh();
	expect(source.snapshotCount).toBe(1);
	source.snapshotGate = undefined;
	open();
	await joined;
	expect(store.getState().snapshot).toBeDefined();
	await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS);
	expect(source.snapshotCount).toBe(2);
});

test('no setState when the output did not change', async () => {
	const source = busyFleet();
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	await vi.advanceTimersByTimeAsync(OUTPUT_INTERVAL_MS + 10);
	expect(store.getState().output?.taskId).toBe('busy0001');
	let updates = 0;
	store.subscribe(() => updates++);
	await sync.refreshOutput();
	await sync.refreshOutput();
	expect(updates).toBe(0);
});

test('a failed snapshot is reported and cleared by the next good one', async () => {
	const source = busyFleet();
	const store = createDashboardStore();
	const real = source.snapshot.bind(source);
	source.snapshot = () => Promise.reject(new Error('connect ENOENT /tmp/ccfleet.sock'));
	sync = startFleetSync(source, store);
	await vi.advanceTimersByTimeAsync(10);
	expect(store.getState().connectionError).toBe('connect ENOENT /tmp/ccfleet.sock');
	source.snapshot = real;
	await vi.advanceTimersByTimeAsync(SNAPSHOT_INTERVAL_MS);
	expect(store.getState().connectionError).toBeUndefined();
	expect(store.getState().snapshot?.tasks).toHaveLength(6);
});

test('dispose stops the timers and drops what was in flight', async () => {
	const source = busyFleet();
	let open!: () => void;
	source.snapshotGate = new Promise(resolve => {
		open = resolve;
	});
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	sync.dispose();
	sync.dispose();
	open();
	await vi.advanceTimersByTimeAsync(5000);
	expect(source.snapshotCount).toBe(1);
	expect(store.getState().snapshot).toBeUndefined();
});
