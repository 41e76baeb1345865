import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

/** Workers on three hosts, and a queued task pinned to a label. */
function severalHosts(): FakeFleetSource {
	return new FakeFleetSource([
		makeTask({id: 'queued01', status: 'queued', queuePosition: 1, prompt: 'Build the index', pin: {label: 'big-ram'}}),
		makeTask({id: 'queued02', status: 'queued', prompt: 'Train it', pin: {label: 'gpu'}, waitingFor: 'a host with label gpu'}),
		makeTask({id: 'onhosta1', status: 'running', workerState: 'busy', host: 'a', prompt: 'Fix the flaky test'}),
		makeTask({id: 'onhostb1', status: 'running', workerState: 'busy', host: 'build-server-2', prompt: 'Port the parser'}),
		makeTask({id: 'onhostc1', status: 'completed', host: 'c', prompt: 'Summarise the design'}),
	]);
}

test.each([
	[80, 24],
	[120, 40],
])('at %ix%i the workers pane has a HOST column when workers are on several hosts, and a queued task shows its pin', async (columns, rows) => {
	const ui = await renderDashboard({source: severalHosts(), columns, rows});
	const frame = ui.frame();
	expect(frame).toMatch(/ID\s+HOST\s+STATE/);
	expect(frame).toMatch(/onhosta1 a\s+busy/);
	// A long host id is cut to the column, so the rest of the row stays in place.
	expect(frame).toMatch(/onhostb1 build-s…\s+busy/);
	expect(frame).toMatch(/onhostc1 c\s+completed/);
	expect(frame).toContain('→[big-ram] Build th');
	expect(frame).toMatch(/queued02 \S+\s+no live host fits\s+→\[gpu\] Train/);
	for (const row of frame.split('\n')) expect([...row].length).toBeLessThanOrEqual(columns);
	ui.unmount();
});

test("on a shared fleet a task no host has claimed yet waits for a host with room, not for this host's line", async () => {
	const source = new FakeFleetSource([
		makeTask({id: 'unheld01', status: 'queued', prompt: 'Anywhere'}),
		makeTask({id: 'unheld02', status: 'queued', prompt: 'Only big ones', pin: {label: 'big-ram'}}),
		makeTask({id: 'onhosta1', status: 'running', workerState: 'busy', host: 'a', prompt: 'Fix the flaky test'}),
	]);
	source.fleetOverrides = {host: 'a'};
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	expect(ui.frame()).toMatch(/unheld01 \S+\s+a host with room\s+Anywhere/);
	expect(ui.frame()).toMatch(/unheld02 \S+\s+a host with room\s+→\[big-ram\] Only/);
	ui.unmount();
});

test("a pinned task's details say where it may run and for what it waits; a running one's, its host", async () => {
	const source = severalHosts();
	source.fleetOverrides = {host: 'a'};
	const ui = await renderDashboard({source, columns: 120, rows: 40});
	await ui.press(keys.shiftTab);
	await ui.press(keys.down);
	await ui.press(keys.enter);
	expect(ui.frame()).toMatch(/Details queued02/);
	expect(ui.frame()).toMatch(/runs only on\s+hosts with label gpu; no live host fits, it waits for a host with label gpu/);
	await ui.press(keys.escape);
	await ui.press(keys.tab);
	await ui.press(keys.enter);
	expect(ui.frame()).toMatch(/Details onhosta1/);
	expect(ui.frame()).toMatch(/host\s+a\n/);
	ui.unmount();
});

test('one host (or none named): no HOST column', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 80, rows: 24});
	expect(ui.frame()).not.toMatch(/HOST/);
	ui.unmount();
});
