import {expect, test} from 'vitest';
import {applySnapshot, upsertTask} from '../../source/ui/store-intake.js';
import {createDashboardStore, moveFocus, moveSelection, selectedTask, setFilter} from '../../source/ui/store.js';
import {busyFleet, makeTask, NOW} from './fake-fleet-source.js';

const snapshotOf = async (source = busyFleet()) => source.snapshot();

test('a snapshot is split into the queue (queue order) and the workers (live, then ended)', async () => {
	const store = createDashboardStore();
	applySnapshot(store, await snapshotOf());
	const state = store.getState();
	expect(state.queue.map(task => task.id)).toEqual(['queued01', 'queued02']);
	expect(state.workers.map(task => task.id)).toEqual(['busy0001', 'asks0001', 'done0001', 'fail0001']);
	expect(selectedTask(state)?.id).toBe('busy0001');
});

test('unchanged tasks keep their objects and unchanged lists their arrays, so nothing re-renders for nothing', async () => {
	const store = createDashboardStore();
	const source = busyFleet();
	applySnapshot(store, await source.snapshot());
	const before = store.getState();
	applySnapshot(store, await source.snapshot());
	const after = store.getState();
	expect(after.workers).toBe(before.workers);
	expect(after.queue).toBe(before.queue);
	expect(after.selection).toBe(before.selection);
	source.tasks[2] = {...source.tasks[2]!, costUsd: 0.5};
	applySnapshot(store, await source.snapshot());
	expect(store.getState().workers).not.toBe(before.workers);
	expect(store.getState().workers[1]).toBe(before.workers[1]);
});

test('when the selected task leaves a list, the selection takes the row that took its place', async () => {
	const store = createDashboardStore();
	const source = busyFleet();
	applySnapshot(store, await source.snapshot());
	moveFocus(store, -1);
	expect(store.getState().activeList).toBe('queue');
	expect(selectedTask(store.getState())?.id).toBe('queued01');
	source.tasks = source.tasks.filter(task => task.id !== 'queued01').map(task => (task.id === 'queued02' ? {...task, queuePosition: 1} : task));
	applySnapshot(store, await source.snapshot());
	expect(selectedTask(store.getState())?.id).toBe('queued02');
});

test('the filter matches id, prompt, status and directory, case-insensitively', async () => {
	const store = createDashboardStore();
	applySnapshot(store, await snapshotOf());
	setFilter(store, 'FLAKY');
	expect(store.getState().workers.map(task => task.id)).toEqual(['busy0001']);
	setFilter(store, 'failed');
	expect(store.getState().workers.map(task => task.id)).toEqual(['fail0001']);
	setFilter(store, 'queued0');
	expect(store.getState().queue).toHaveLength(2);
	expect(store.getState().workers).toHaveLength(0);
	setFilter(store, '');
	expect(store.getState().workers).toHaveLength(4);
});

test('moving stops at the ends of the list', async () => {
	const store = createDashboardStore();
	applySnapshot(store, await snapshotOf());
	moveSelection(store, -1);
	expect(selectedTask(store.getState())?.id).toBe('busy0001');
	moveSelection(store, 10);
	expect(selectedTask(store.getState())?.id).toBe('fail0001');
});

test('a task an action returned shows at once, before the next snapshot', async () => {
	const store = createDashboardStore();
	applySnapshot(store, await snapshotOf());
	upsertTask(store, makeTask({id: 'fresh001', status: 'queued', queuePosition: 3, createdAt: new Date(NOW).toISOString()}));
	expect(store.getState().queue.map(task => task.id)).toEqual(['queued01', 'queued02', 'fresh001']);
});
