import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';

test('lists queued tasks in queue order with priority, wait and what each waits for', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const frame = ui.frame();
	expect(frame).toMatch(/Queue 2/);
	expect(line(frame, 'queued01')).toMatch(/#1\s+P0 queued01 \d+m\d\ds\s+next to start\s+Write the release notes/);
	expect(line(frame, 'queued02')).toMatch(/#2\s+P2 queued02 .*1 ahead of it\s+Refactor the parser/);
	expect(frame.indexOf('queued01')).toBeLessThan(frame.indexOf('queued02'));
	ui.unmount();
});

test('a full fleet: queued tasks wait for a worker', async () => {
	const source = busyFleet();
	source.allowed = 2;
	const ui = await renderDashboard({source});
	expect(line(ui.frame(), 'queued02')).toContain('a worker (2/2 busy)');
	ui.unmount();
});

test('ready tasks say what holds the queue, in the waiting column, with the prompts still aligned', async () => {
	const source = busyFleet();
	source.admission = {maxWorkers: undefined, roomFor: 0, heldBy: '512 MB free above the MEMORY_RESERVE of 1024 MB; a pty worker needs about 250 MB'};
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	const frame = ui.frame();
	const first = line(frame, 'queued01');
	const second = line(frame, 'queued02');
	expect(first).toMatch(/#1\s+P0 queued01 \d+m\d\ds\s+held: memory\s+Write the release notes/);
	expect(second).toMatch(/held: memory\s+Refactor the parser/);
	expect(first.indexOf('Write')).toBe(second.indexOf('Refactor'));
	ui.unmount();
});

test('a hold by the CPU or the ceiling is named in a few words; one not recognised is cut after a whole word', async () => {
	const source = busyFleet();
	source.admission = {heldBy: 'CPU load 93 % is at or above CPU_THRESHOLD 80 %'};
	const ui = await renderDashboard({source});
	expect(line(ui.frame(), 'queued01')).toContain('held: CPU ≥80%');
	source.admission = {maxWorkers: 4, heldBy: '4 of CCFLEET_MAX_WORKERS 4 workers run'};
	await ui.refresh();
	expect(line(ui.frame(), 'queued01')).toContain('held: max 4 workers');
	source.admission = {heldBy: 'the maintenance window is open until six'};
	await ui.refresh();
	const row = line(ui.frame(), 'queued01');
	expect(row).toContain('held: the maintenance…');
	expect(row.indexOf('Write')).toBe(line(ui.frame(), 'queued02').indexOf('Refactor'));
	ui.unmount();
});

test('a task waiting for its dependencies says so even while the queue is held', async () => {
	const source = new FakeFleetSource([makeTask({id: 'parent01', status: 'running'}), makeTask({id: 'child001', status: 'queued', dependsOn: ['parent01']})]);
	source.admission = {heldBy: '512 MB free above the MEMORY_RESERVE of 1024 MB; a pty worker needs about 250 MB'};
	const ui = await renderDashboard({source});
	expect(line(ui.frame(), 'child001')).toContain('task parent01');
	ui.unmount();
});

test('a task with unfinished dependencies waits for them', async () => {
	const source = new FakeFleetSource([
		makeTask({id: 'parent01', status: 'running'}),
		makeTask({id: 'child001', status: 'queued', queuePosition: 1, dependsOn: ['parent01']}),
	]);
	const ui = await renderDashboard({source});
	expect(line(ui.frame(), 'child001')).toContain('task parent01');
	ui.unmount();
});

test('an empty queue says so', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'done0001', status: 'completed'})])});
	expect(ui.frame()).toContain('Queue 0 · nothing queued');
	ui.unmount();
});

test('a long queue is windowed to the pane, keeping the selected task in view', async () => {
	const tasks = Array.from({length: 30}, (_, i) => makeTask({id: `q${String(i + 1).padStart(7, '0')}`, queuePosition: i + 1}));
	const ui = await renderDashboard({source: new FakeFleetSource(tasks), columns: 80, rows: 24});
	await ui.press(keys.shiftTab);
	expect(ui.store.getState().focus).toBe('queue');
	expect(ui.frame()).toContain('1-3 of 30');
	expect(ui.frame()).not.toContain('q0000010');
	for (let i = 0; i < 9; i++) await ui.press('j');
	expect(line(ui.frame(), 'q0000010')).toMatch(/^› /);
	expect(ui.frame()).not.toContain('q0000001');
	await ui.press('G');
	expect(ui.frame()).toContain('28-30 of 30');
	expect(line(ui.frame(), 'q0000030')).toMatch(/^› /);
	ui.unmount();
});
