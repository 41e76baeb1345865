import {render} from 'ink-testing-library';
import {afterEach, beforeEach, expect, test, vi} from 'vitest';
import {App} from '../../source/ui/app.js';
import {CLOCK_TICK_MS, FALLBACK_SNAPSHOT_MS, POLL_SNAPSHOT_MS, startFleetSync, type FleetSync} from '../../source/ui/fleet-sync.js';
import {OUTPUT_MIN_INTERVAL_MS} from '../../source/ui/output-follower.js';
import {PUSH_FLUSH_MS} from '../../source/ui/push-batcher.js';
import {createDashboardStore, moveSelection, selectedTask} from '../../source/ui/store.js';
import {cleanupDashboards} from '../helpers/render.js';
import {busyFleet, makeSchedule, NOW, PushingFleetSource} from './fake-fleet-source.js';

// A core that pushes its changes: the dashboard applies them in batches, fetches only the output that changed and
// polls only as a fallback.
let sync: FleetSync | undefined;

beforeEach(() => {
	// setImmediate stays real: Ink's input parser uses it, and nothing here needs it faked.
	vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']});
	vi.setSystemTime(NOW);
});

afterEach(() => {
	sync?.dispose();
	cleanupDashboards();
	vi.useRealTimers();
});

/** busyFleet's tasks and outputs behind a core that pushes. */
function pushingFleet(): PushingFleetSource {
	const base = busyFleet();
	const source = new PushingFleetSource(base.tasks);
	source.outputs = base.outputs;
	return source;
}

async function start(source = pushingFleet()) {
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	await vi.advanceTimersByTimeAsync(0);
	return {source, store};
}

test('while the core pushes, nothing is polled: a snapshot at the start and then every 5 s, no output without a change', async () => {
	const {source, store} = await start();
	expect(sync!.isLive()).toBe(true);
	expect(source.snapshotCount).toBe(1);
	expect(source.snapshotOptions[0]).toEqual({withSchedules: true});
	expect(source.outputCount).toBe(1);
	expect(store.getState().output?.taskId).toBe('busy0001');
	await vi.advanceTimersByTimeAsync(FALLBACK_SNAPSHOT_MS - 10);
	expect(source.snapshotCount).toBe(1);
	expect(source.outputCount).toBe(1);
	await vi.advanceTimersByTimeAsync(20);
	expect(source.snapshotCount).toBe(2);
	// Schedules are pushed too: the fallback snapshot leaves them out.
	expect(source.snapshotOptions[1]).toEqual({withSchedules: false});
	expect(source.outputCount).toBe(1);
});

test('a flood of pushed changes makes at most ten store updates a second, and only the changed task gets a new object', async () => {
	const {source, store} = await start();
	const before = store.getState();
	let updates = 0;
	store.subscribe(() => updates++);
	for (let ms = 1; ms <= 1000; ms++) {
		source.change('asks0001', {costUsd: ms / 100});
		await vi.advanceTimersByTimeAsync(1);
	}
	await vi.advanceTimersByTimeAsync(PUSH_FLUSH_MS);
	expect(updates).toBeLessThanOrEqual(1000 / PUSH_FLUSH_MS + 1);
	expect(updates).toBeGreaterThanOrEqual(1000 / PUSH_FLUSH_MS - 1);
	const after = store.getState();
	expect(after.snapshot?.tasks.find(task => task.id === 'asks0001')?.costUsd).toBe(10);
	for (const id of ['queued01', 'queued02', 'busy0001', 'done0001', 'fail0001']) {
		expect(after.snapshot?.tasks.find(task => task.id === id)).toBe(before.snapshot?.tasks.find(task => task.id === id));
	}
	expect(after.queue).toBe(before.queue);
	// Nothing was fetched for it: the change came whole, and it is not the selected task.
	expect(source.snapshotCount).toBe(1);
	expect(source.outputCount).toBe(1);
	expect(source.calls.filter(call => call.method === 'task')).toEqual([]);
});

test("the selected task's output is fetched when its output changed, at most every OUTPUT_MIN_INTERVAL_MS, and never for other tasks", async () => {
	const {source, store} = await start();
	for (let ms = 0; ms < 1000; ms += 10) {
		source.push({output: ['asks0001', 'done0001']});
		await vi.advanceTimersByTimeAsync(10);
	}
	expect(source.outputCount).toBe(1);
	source.outputs.set('busy0001', {lines: ['a new line'], live: true});
	for (let ms = 0; ms < 1000; ms++) {
		source.push({output: ['busy0001', 'asks0001']});
		await vi.advanceTimersByTimeAsync(1);
	}
	await vi.advanceTimersByTimeAsync(OUTPUT_MIN_INTERVAL_MS);
	const fetched = source.outputCount - 1;
	// One at the first change, then one per interval while the changes go on, and the last after them.
	expect(fetched).toBeLessThanOrEqual(Math.ceil(1000 / OUTPUT_MIN_INTERVAL_MS) + 1);
	expect(fetched).toBeGreaterThanOrEqual(Math.floor(1000 / OUTPUT_MIN_INTERVAL_MS));
	expect(store.getState().output?.lines).toEqual(['a new line']);
	// No timer fetches it while nothing changes.
	await vi.advanceTimersByTimeAsync(3000);
	expect(source.outputCount - 1).toBe(fetched);
});

test("a new selection shows its output at once; a finished task's log replaces its screen when it ends", async () => {
	const {source, store} = await start();
	moveSelection(store, 1);
	await vi.advanceTimersByTimeAsync(0);
	expect(selectedTask(store.getState())?.id).toBe('asks0001');
	expect(store.getState().output).toEqual({taskId: 'asks0001', lines: ['Claude wants to run: npm test', 'Do you want to proceed?'], live: true});
	source.outputs.set('asks0001', {lines: ['prompt: Run the tests', 'result: green'], live: false});
	source.change('asks0001', {status: 'completed', workerState: undefined, question: undefined, endedAt: new Date(NOW).toISOString()});
	await vi.advanceTimersByTimeAsync(OUTPUT_MIN_INTERVAL_MS);
	expect(store.getState().output).toEqual({taskId: 'asks0001', lines: ['prompt: Run the tests', 'result: green'], live: false});
});

test("pushed schedules and fleet counters go in; the machine's CPU and memory stay until a snapshot brings new ones", async () => {
	const {source, store} = await start();
	const system = store.getState().snapshot!.fleet.system;
	source.push({
		schedules: [
			makeSchedule({
				id: 'sched001',
				lastRun: {id: 1, scheduledFor: new Date(NOW).toISOString(), firedAt: new Date(NOW).toISOString(), taskId: 'busy0001', outcome: 'started'},
			}),
		],
	});
	source.push({
		fleet: {workers: {running: 3, allowed: 4}, admission: source.fleet().admission, queued: 2, ready: 2, counts: source.fleet().counts, costUsd: 7, needsInput: []},
	});
	await vi.advanceTimersByTimeAsync(0);
	const state = store.getState();
	expect(state.schedules.map(schedule => [schedule.id, schedule.lastRun?.taskId])).toEqual([['sched001', 'busy0001']]);
	expect(state.snapshot!.fleet).toMatchObject({workers: {running: 3}, costUsd: 7, needsInput: []});
	expect(state.snapshot!.fleet.system).toBe(system);
	expect(source.snapshotCount).toBe(1);
});

test('elapsed times move on with a tick a second while the core pushes', async () => {
	const {store} = await start();
	expect(store.getState().snapshot?.takenAt).toBe(NOW);
	await vi.advanceTimersByTimeAsync(CLOCK_TICK_MS);
	expect(store.getState().snapshot?.takenAt).toBe(NOW + CLOCK_TICK_MS);
});

test('when the push stops it polls; when the push runs again a snapshot catches up and the polling stops', async () => {
	const {source} = await start();
	source.watcher!.onLive(false);
	expect(sync!.isLive()).toBe(false);
	const polled = source.snapshotCount;
	await vi.advanceTimersByTimeAsync(2000);
	expect(source.snapshotCount - polled).toBeGreaterThanOrEqual(2000 / POLL_SNAPSHOT_MS - 1);
	expect(source.outputCount).toBeGreaterThanOrEqual(4);
	source.tasks = source.tasks.map(task => (task.id === 'queued02' ? {...task, priority: 'P0' as const} : task));
	source.watcher!.onLive(true);
	await vi.advanceTimersByTimeAsync(0);
	expect(source.snapshotOptions.at(-1)).toEqual({withSchedules: true});
	const caughtUp = source.snapshotCount;
	const outputs = source.outputCount;
	await vi.advanceTimersByTimeAsync(FALLBACK_SNAPSHOT_MS - 100);
	expect(source.snapshotCount).toBe(caughtUp);
	expect(source.outputCount).toBe(outputs);
});

test('a core that cannot push is polled', async () => {
	const source = pushingFleet();
	source.canPush = false;
	await start(source);
	expect(sync!.isLive()).toBe(false);
	await vi.advanceTimersByTimeAsync(1000);
	expect(source.snapshotCount).toBeGreaterThanOrEqual(1000 / POLL_SNAPSHOT_MS);
});

test("an action's answer is not overwritten by an older change still in the batch", async () => {
	const {source, store} = await start();
	// The first change opens a window; the second waits in the batch for its end.
	source.change('asks0001', {costUsd: 1});
	await vi.advanceTimersByTimeAsync(0);
	source.change('queued02', {priority: 'P2'});
	sync!.results.task({...source.tasks.find(task => task.id === 'queued02')!, priority: 'P0'});
	expect(store.getState().snapshot?.tasks.find(task => task.id === 'queued02')?.priority).toBe('P0');
	await vi.advanceTimersByTimeAsync(PUSH_FLUSH_MS * 2);
	expect(store.getState().snapshot?.tasks.find(task => task.id === 'queued02')?.priority).toBe('P0');
});

test('a change that arrives while a snapshot is in flight goes in after it', async () => {
	const {source, store} = await start();
	let open!: () => void;
	source.snapshotGate = new Promise(resolve => {
		open = resolve;
	});
	const refreshed = sync!.refresh();
	const stale = source.tasks;
	source.change('asks0001', {costUsd: 9});
	// The snapshot answers with what it saw before the change.
	source.tasks = stale;
	source.snapshotGate = undefined;
	open();
	await refreshed;
	await vi.advanceTimersByTimeAsync(PUSH_FLUSH_MS);
	expect(store.getState().snapshot?.tasks.find(task => task.id === 'asks0001')?.costUsd).toBe(9);
});

test('the dashboard redraws at the pace of the batches, not of the pushes', async () => {
	const source = pushingFleet();
	const store = createDashboardStore();
	sync = startFleetSync(source, store);
	const instance = render(<App store={store} source={source} results={sync.results} defaultCwd="/work" columns={100} rows={30} />);
	await vi.advanceTimersByTimeAsync(0);
	const framesBefore = instance.frames.length;
	let written = 0;
	for (let ms = 1; ms <= 1000; ms++) {
		source.outputs.set('busy0001', {lines: [`line ${++written}`], live: true});
		source.change('busy0001', {costUsd: ms / 1000});
		source.push({output: ['busy0001']});
		await vi.advanceTimersByTimeAsync(1);
	}
	await vi.advanceTimersByTimeAsync(PUSH_FLUSH_MS);
	// The harness renders in debug mode, so every React commit is a frame: batches, output fetches and one clock tick.
	expect(instance.frames.length - framesBefore).toBeLessThanOrEqual(1000 / PUSH_FLUSH_MS + 1000 / OUTPUT_MIN_INTERVAL_MS + 1000 / CLOCK_TICK_MS + 2);
	expect(instance.lastFrame()).toMatch(/line \d+/);
	expect(instance.lastFrame()).toMatch(/\$1\.00/);
});
