import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

test('N opens the form with the default directory and P1', async () => {
	const ui = await renderDashboard({source: busyFleet(), defaultCwd: '/work/here'});
	await ui.press('N');
	const frame = ui.frame();
	expect(frame).toMatch(/› Prompt\s+█/);
	expect(frame).toMatch(/Directory\s+\/work\/here/);
	expect(frame).toMatch(/Priority\s+P0 \s*\[P1\]\s+P2/);
	ui.unmount();
});

test('the form submits prompt, directory and priority through the source, then shows the task queued', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source, defaultCwd: '/work/here'});
	await ui.press('N');
	await ui.type('Add a --json flag');
	await ui.press(keys.tab);
	await ui.press(keys.ctrlU);
	await ui.type('~/project');
	await ui.press(keys.tab);
	await ui.press(keys.left);
	expect(ui.frame()).toMatch(/\[P0\]/);
	await ui.press(keys.enter);
	expect(source.calls).toEqual([{method: 'delegate', args: [{prompt: 'Add a --json flag', cwd: '/home/tester/project', priority: 'P0'}]}]);
	const frame = ui.frame();
	expect(frame).not.toMatch(/New task/);
	expect(frame).toContain('new1 is queued, #3 in the queue.');
	expect(frame.split('\n').find(row => row.includes('new1'))).toMatch(/^› #3\s+P0 new1/);
	// The new task is selected where it is, and that pane has the focus, so +/- and c act on it.
	expect(frame).toMatch(/▶ Queue/);
	ui.unmount();
});

test('the depends-on field takes task ids, separated by commas or spaces', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source, defaultCwd: '/work/here'});
	await ui.press('N');
	expect(ui.frame()).toMatch(/Depends on/);
	await ui.type('Write the docs');
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	expect(ui.frame()).toMatch(/› Depends on\s+█\s+task ids, optional/);
	await ui.type('busy0001, done0001');
	await ui.press(keys.enter);
	expect(source.calls).toEqual([{method: 'delegate', args: [{prompt: 'Write the docs', cwd: '/work/here', priority: 'P1', dependsOn: ['busy0001', 'done0001']}]}]);
	ui.unmount();
});

test('backspace edits, ↑/↓ move between fields, digits pick the priority', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('N');
	await ui.type('Fix itt');
	await ui.press(keys.backspace);
	await ui.press(keys.down);
	await ui.press(keys.down);
	await ui.press('2');
	await ui.press(keys.up);
	await ui.press(keys.up);
	expect(ui.frame()).toMatch(/› Prompt\s+Fix it█/);
	await ui.press(keys.enter);
	expect(source.calls[0]).toEqual({method: 'delegate', args: [{prompt: 'Fix it', cwd: '/work/project', priority: 'P2'}]});
	ui.unmount();
});

test('an empty prompt or a relative directory is refused in the form', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('N');
	await ui.press(keys.enter);
	expect(ui.frame()).toContain('Write what the worker should do.');
	await ui.type('Do it');
	await ui.press(keys.tab);
	await ui.press(keys.ctrlU);
	await ui.type('relative/dir');
	await ui.press(keys.enter);
	expect(ui.frame()).toContain('The directory must be an absolute path.');
	expect(source.calls).toEqual([]);
	ui.unmount();
});

test('a refusal from the core stays in the form, with what was typed', async () => {
	const source = busyFleet();
	source.failNextAction = new Error('cwd /nowhere does not exist.');
	const ui = await renderDashboard({source});
	await ui.press('N');
	await ui.type('Do it');
	await ui.press(keys.enter);
	expect(ui.frame()).toContain('cwd /nowhere does not exist.');
	expect(ui.frame()).toMatch(/Prompt\s+Do it/);
	ui.unmount();
});

test('esc leaves the form without a task', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('N');
	await ui.type('Never mind');
	await ui.press(keys.escape);
	expect(ui.frame()).not.toMatch(/New task/);
	expect(source.calls).toEqual([]);
	ui.unmount();
});

test('keys that mean something elsewhere are text in the form', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('N');
	await ui.type('q?cyn/');
	expect(ui.frame()).toMatch(/Prompt\s+q\?cyn\/█/);
	expect(ui.quitChoice()).toBeUndefined();
	ui.unmount();
});
