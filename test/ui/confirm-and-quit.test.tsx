import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

test('c asks before cancelling; y cancels through the source', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('c');
	const frame = ui.frame();
	expect(frame).toContain('Cancel busy0001?');
	expect(frame).toContain('busy0001 is running: Fix the flaky test');
	expect(frame).toMatch(/y\s+yes, cancel it/);
	expect(source.calls).toEqual([]);
	await ui.press('y');
	expect(source.calls).toEqual([{method: 'cancel', args: ['busy0001', 'cancelled from the dashboard']}]);
	expect(ui.frame()).toContain('busy0001 is cancelled.');
	ui.unmount();
});

test('c then n (or esc) keeps the task', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('c');
	await ui.press('n');
	expect(ui.frame()).toContain('busy0001 keeps running.');
	await ui.press('c');
	await ui.press(keys.escape);
	expect(ui.frame()).not.toContain('Cancel busy0001?');
	expect(source.calls).toEqual([]);
	ui.unmount();
});

test('c on a task that has ended is refused without asking', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('G');
	await ui.press('c');
	expect(ui.frame()).toContain('fail0001 has ended (failed); there is nothing to cancel.');
	ui.unmount();
});

test('q with no worker running quits at once', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'done0001', status: 'completed'})])});
	await ui.press('q');
	expect(ui.quitChoice()).toBe('leave');
});

test('q with workers running asks: stop them, or leave them in the background', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('q');
	const frame = ui.frame();
	expect(frame).toContain('2 workers are running.');
	expect(frame).toMatch(/s\s+stop them \(cancel the running tasks\) and quit/);
	expect(frame).toMatch(/l\s+leave them running in the background and quit/);
	expect(ui.quitChoice()).toBeUndefined();
	await ui.press(keys.escape);
	expect(ui.frame()).not.toContain('workers are running');
	expect(ui.quitChoice()).toBeUndefined();
	ui.unmount();
});

test('quit and leave: nothing is cancelled', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('q');
	await ui.press('l');
	expect(ui.quitChoice()).toBe('leave');
	expect(source.calls).toEqual([]);
});

test('quit and stop: every running task is cancelled, then the dashboard exits', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('q');
	await ui.press('s');
	expect(source.calls.map(call => [call.method, call.args[0]])).toEqual([
		['cancel', 'busy0001'],
		['cancel', 'asks0001'],
	]);
	expect(ui.quitChoice()).toBe('stop');
});

test('Ctrl+C quits like q, and a second Ctrl+C leaves the workers running', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press(keys.ctrlC);
	expect(ui.frame()).toContain('2 workers are running.');
	await ui.press(keys.ctrlC);
	expect(ui.quitChoice()).toBe('leave');
	expect(source.calls).toEqual([]);
});
