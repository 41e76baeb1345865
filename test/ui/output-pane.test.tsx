import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const outputOf = (frame: string) => frame.slice(frame.indexOf('Output'));

test("shows the selected worker's live screen", async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const output = outputOf(ui.frame());
	expect(output).toMatch(/Output busy0001 · live screen/);
	expect(output).toContain('> Running vitest');
	expect(output).toContain('✓ queue.test.ts (12 tests)');
	ui.unmount();
});

test("follows the selection: the next worker's screen, then a finished task's log", async () => {
	const ui = await renderDashboard({source: busyFleet()});
	await ui.press('j');
	await ui.refresh();
	expect(outputOf(ui.frame())).toMatch(/Output asks0001 · live screen/);
	expect(outputOf(ui.frame())).toContain('Do you want to proceed?');
	await ui.press('j');
	await ui.refresh();
	expect(outputOf(ui.frame())).toMatch(/Output done0001 · log/);
	expect(outputOf(ui.frame())).toContain('result: All done.');
	ui.unmount();
});

test("a finished task's log is fetched once, a live screen on every tick", async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	const before = source.outputCount;
	await ui.refresh();
	await ui.refresh();
	expect(source.outputCount).toBe(before + 2);
	await ui.press('j');
	await ui.press('j');
	await ui.refresh();
	const afterFirst = source.outputCount;
	await ui.refresh();
	await ui.refresh();
	expect(source.outputCount).toBe(afterFirst);
	ui.unmount();
});

test('a queued task has no output yet, and the pane says why', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	await ui.press(keys.shiftTab);
	await ui.refresh();
	expect(outputOf(ui.frame())).toContain('Queued (#1): no output until a worker starts it.');
	ui.unmount();
});

test('shows the last lines that fit, without escape codes from the worker', async () => {
	const source = new FakeFleetSource([makeTask({id: 'busy0001', status: 'running'})]);
	source.outputs.set('busy0001', {lines: [...Array.from({length: 50}, (_, i) => `line ${i + 1}`), '\u001B[31mred\u001B[0m\tend'], live: true});
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	const output = outputOf(ui.frame());
	expect(output).toContain('red    end');
	expect(output).toContain('line 50');
	expect(output).not.toMatch(/line 30\b/);
	expect(ui.rawFrame()).not.toContain('\u001B[31m');
	ui.unmount();
});

test('focused, it scrolls back with k and follows again with G', async () => {
	const source = new FakeFleetSource([makeTask({id: 'busy0001', status: 'running'})]);
	source.outputs.set('busy0001', {lines: Array.from({length: 50}, (_, i) => `line ${i + 1}`), live: true});
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	await ui.press(keys.tab);
	expect(ui.frame()).toMatch(/▶ Output/);
	await ui.press('k');
	await ui.press('k');
	await ui.press('k');
	expect(ui.frame()).toContain('3 back (G follows)');
	expect(ui.frame()).toContain('line 47');
	expect(ui.frame()).not.toContain('line 50');
	await ui.press('G');
	expect(ui.frame()).toContain('line 50');
	expect(ui.frame()).not.toContain('back (G follows)');
	ui.unmount();
});
