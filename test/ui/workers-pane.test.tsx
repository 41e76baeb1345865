import chalk from 'chalk';
import {afterAll, afterEach, beforeAll, expect, test} from 'vitest';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

// Vitest's stdout is no terminal, so chalk starts with colours off; the highlight test needs them on.
const level = chalk.level;
beforeAll(() => {
	chalk.level = 1;
});
afterAll(() => {
	chalk.level = level;
});

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';

test('shows each worker with state, elapsed time, cost, tokens and memory', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const frame = ui.frame();
	expect(frame).toMatch(/Workers 2 live · 2 ended/);
	expect(frame).toMatch(/ID\s+STATE\s+TIME\s+COST\s+TOKENS\s+RSS/);
	expect(line(frame, 'busy0001')).toMatch(/busy0001 busy\s+2m05s\s+\$0\.42\s+5\.1k\s+310M\s+Fix the flaky test/);
	expect(line(frame, 'asks0001')).toMatch(/asks0001 NEEDS INPUT 1m00s/);
	ui.unmount();
});

test('a live worker that has reported no usage yet shows … for cost and tokens, not a $0 that reads as free', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'new00001', status: 'running', workerState: 'busy'})])});
	expect(line(ui.frame(), 'new00001')).toMatch(/new00001 busy\s+\S+\s+…\s+…\s/);
	ui.unmount();
});

test('a running task whose worker is between turns reads as running, not idle', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'idle0001', status: 'running', workerState: 'idle'})])});
	expect(line(ui.frame(), 'idle0001')).toMatch(/idle0001 running/);
	ui.unmount();
});

test('a worker that needs input stands out: marked, coloured, its question shown', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const row = line(ui.frame(), 'asks0001');
	expect(row).toMatch(/^ ! asks0001 NEEDS INPUT/);
	expect(row).toContain('Bash: npm test');
	const raw = line(ui.rawFrame(), 'asks0001');
	expect(raw).toContain('\u001B[33m');
	expect(raw).toContain('\u001B[1m');
	expect(line(ui.frame(), 'busy0001')).not.toMatch(/!/);
	ui.unmount();
});

test('tasks that ended are listed after the live ones, newest first, with how long they ran', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const frame = ui.frame();
	expect(frame.indexOf('asks0001')).toBeLessThan(frame.indexOf('done0001'));
	expect(line(frame, 'done0001')).toMatch(/done0001 completed\s+4m00s\s+\$1\.50/);
	expect(line(frame, 'fail0001')).toMatch(/fail0001 failed/);
	ui.unmount();
});

test('with no tasks at all, it says how to make one', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource()});
	expect(ui.frame()).toContain('Workers 0 · no tasks yet: N hands one over');
	ui.unmount();
});

test('the selection stays on its task when the list changes', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('j');
	expect(line(ui.frame(), 'asks0001')).toMatch(/^›/);
	source.tasks = [makeTask({id: 'early001', status: 'running', startedAt: new Date(0).toISOString()}), ...source.tasks];
	await ui.refresh();
	expect(line(ui.frame(), 'asks0001')).toMatch(/^›/);
	ui.unmount();
});
