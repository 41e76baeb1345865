import {expect, test} from 'vitest';
import {BELL_GAP_MS, watchForBell} from '../../source/ui/bell.js';
import type {DashboardTask} from '../../source/ui/fleet-source.js';
import {createDashboardStore} from '../../source/ui/store.js';
import {applySnapshot} from '../../source/ui/store-intake.js';
import {FakeFleetSource, makeTask} from './fake-fleet-source.js';

async function snapshotOf(tasks: DashboardTask[]) {
	return new FakeFleetSource(tasks).snapshot();
}

test('the bell rings when a worker begins to need input or a task fails, not for what was so already, nor twice at once', async () => {
	const store = createDashboardStore();
	let time = 0;
	let rings = 0;
	applySnapshot(store, await snapshotOf([makeTask({id: 'old00001', status: 'failed'}), makeTask({id: 'busy0001', status: 'running', workerState: 'busy'})]));
	const stop = watchForBell(
		store,
		() => rings++,
		() => time,
	);
	applySnapshot(store, await snapshotOf([makeTask({id: 'old00001', status: 'failed'}), makeTask({id: 'busy0001', status: 'running', workerState: 'busy'})]));
	expect(rings).toBe(0);
	applySnapshot(store, await snapshotOf([makeTask({id: 'old00001', status: 'failed'}), makeTask({id: 'busy0001', status: 'needs_input', workerState: 'needs_input'})]));
	expect(rings).toBe(1);
	// Within the gap: a second failure is the same event to the person.
	time += BELL_GAP_MS / 2;
	applySnapshot(store, await snapshotOf([makeTask({id: 'old00001', status: 'failed'}), makeTask({id: 'busy0001', status: 'failed'})]));
	expect(rings).toBe(1);
	time += BELL_GAP_MS;
	applySnapshot(
		store,
		await snapshotOf([makeTask({id: 'old00001', status: 'failed'}), makeTask({id: 'busy0001', status: 'failed'}), makeTask({id: 'new00001', status: 'failed'})]),
	);
	expect(rings).toBe(2);
	stop();
	time += BELL_GAP_MS;
	applySnapshot(store, await snapshotOf([makeTask({id: 'new00002', status: 'failed'})]));
	expect(rings).toBe(2);
});

test('before the first snapshot nothing is known, so the first one does not ring', async () => {
	const store = createDashboardStore();
	let rings = 0;
	watchForBell(store, () => rings++);
	applySnapshot(store, await snapshotOf([makeTask({id: 'fail0001', status: 'failed'})]));
	expect(rings).toBe(0);
});
