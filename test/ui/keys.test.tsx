import {afterEach, describe, expect, test} from 'vitest';
import {KEYMAP} from '../../source/ui/keymap.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';

describe('moving', () => {
	test('j and ↓ move down, k and ↑ move up, g and G go to the ends', async () => {
		const ui = await renderDashboard({source: busyFleet()});
		expect(line(ui.frame(), 'busy0001')).toMatch(/^›/);
		await ui.press('j');
		expect(line(ui.frame(), 'asks0001')).toMatch(/^›/);
		await ui.press(keys.down);
		expect(line(ui.frame(), 'done0001')).toMatch(/^›/);
		await ui.press('k');
		expect(line(ui.frame(), 'asks0001')).toMatch(/^›/);
		await ui.press(keys.up);
		expect(line(ui.frame(), 'busy0001')).toMatch(/^›/);
		await ui.press('G');
		expect(line(ui.frame(), 'fail0001')).toMatch(/^›/);
		await ui.press('g');
		expect(line(ui.frame(), 'busy0001')).toMatch(/^›/);
		await ui.press(keys.end);
		expect(line(ui.frame(), 'fail0001')).toMatch(/^›/);
		await ui.press(keys.home);
		expect(line(ui.frame(), 'busy0001')).toMatch(/^›/);
		ui.unmount();
	});

	test('tab and shift-tab move between the panes; the focused one is marked ▶', async () => {
		const ui = await renderDashboard({source: busyFleet()});
		expect(ui.frame()).toMatch(/▶ Workers/);
		await ui.press(keys.tab);
		expect(ui.frame()).toMatch(/▶ Output/);
		await ui.press(keys.tab);
		expect(ui.frame()).toMatch(/▶ DAG/);
		await ui.press(keys.tab);
		expect(ui.frame()).toMatch(/▶ Schedules/);
		await ui.press(keys.tab);
		expect(ui.frame()).toMatch(/▶ Queue/);
		await ui.press('j');
		expect(line(ui.frame(), 'queued02')).toMatch(/^›/);
		await ui.press(keys.shiftTab);
		expect(ui.frame()).toMatch(/▶ Schedules/);
		await ui.press(keys.shiftTab);
		expect(ui.frame()).toMatch(/▶ DAG/);
		await ui.press(keys.shiftTab);
		expect(ui.frame()).toMatch(/▶ Output/);
		// The Output pane follows the list that had the focus last: the queue.
		await ui.refresh();
		expect(ui.frame()).toContain('Queued (#2)');
		await ui.press(keys.shiftTab);
		expect(ui.frame()).toMatch(/▶ Workers/);
		ui.unmount();
	});

	test('i finds the worker that needs input with one key, from anywhere', async () => {
		const source = busyFleet();
		source.tasks.push(
			makeTask({
				id: 'asks0002',
				status: 'needs_input',
				startedAt: new Date(Date.parse(source.tasks[3]!.startedAt!) + 1000).toISOString(),
				question: {toolName: 'Write', toolInput: {}, question: 'Write: notes.md'},
			}),
		);
		const ui = await renderDashboard({source});
		await ui.press(keys.shiftTab);
		expect(ui.frame()).toMatch(/▶ Queue/);
		await ui.press('i');
		expect(ui.frame()).toMatch(/▶ Workers/);
		expect(line(ui.frame(), 'asks0001')).toMatch(/^›!/);
		expect(ui.frame()).toContain('asks0001 waits for an answer: Bash: npm test');
		await ui.press('i');
		expect(line(ui.frame(), 'asks0002')).toMatch(/^›!/);
		await ui.press('i');
		expect(line(ui.frame(), 'asks0001')).toMatch(/^›!/);
		ui.unmount();
	});

	test('i with no worker waiting says so', async () => {
		const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'busy0001', status: 'running'})])});
		await ui.press('i');
		expect(ui.frame()).toContain('No worker needs input.');
		ui.unmount();
	});
});

describe('task commands', () => {
	test('enter shows the details of the selected task; esc closes them', async () => {
		const ui = await renderDashboard({source: busyFleet()});
		await ui.press('j');
		await ui.press(keys.enter);
		const frame = ui.frame();
		expect(frame).toMatch(/Details asks0001/);
		expect(frame).toMatch(/waits for\s+Bash: npm test/);
		expect(frame).toMatch(/tool input\s+\{"command":"npm test"\}/);
		expect(frame).toContain('Run the tests and fix what fails');
		await ui.press(keys.escape);
		expect(ui.frame()).toMatch(/▶ Workers/);
		ui.unmount();
	});

	test('y approves the selected worker’s permission prompt', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('i');
		await ui.press('y');
		expect(source.calls).toEqual([{method: 'respond', args: ['asks0001', {action: 'approve'}]}]);
		expect(ui.frame()).toContain('Approved Bash for asks0001.');
		expect(line(ui.frame(), 'asks0001')).toMatch(/asks0001 busy/);
		ui.unmount();
	});

	test('n denies it while the selected worker waits for an answer', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('i');
		await ui.press('n');
		expect(source.calls).toEqual([{method: 'respond', args: ['asks0001', {action: 'deny', message: expect.any(String)}]}]);
		expect(ui.frame()).toContain('Denied Bash for asks0001.');
		ui.unmount();
	});

	test('n opens the new-task form when the selected worker waits for nothing; N always does', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('n');
		expect(ui.frame()).toMatch(/New task/);
		await ui.press(keys.escape);
		await ui.press('i');
		await ui.press('N');
		expect(ui.frame()).toMatch(/New task/);
		expect(source.calls).toEqual([]);
		ui.unmount();
	});

	test('y on a worker that waits for nothing is refused in the status bar', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('y');
		expect(source.calls).toEqual([]);
		expect(ui.frame()).toContain('busy0001 is running; it waits for no answer.');
		ui.unmount();
	});

	test('r retries a finished task; R asks what to tell it (empty allowed) and resumes it', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('G');
		await ui.press('r');
		expect(source.calls[0]).toEqual({method: 'retry', args: ['fail0001']});
		expect(ui.frame()).toContain('new1 retries fail0001; it is queued.');
		expect(ui.frame()).toContain('new1');
		await ui.press('R');
		expect(ui.frame()).toContain('Resume fail0001');
		expect(ui.frame()).toContain('Anything to tell it? (may stay empty)');
		await ui.press(keys.enter);
		expect(source.calls[1]).toEqual({method: 'resume', args: ['fail0001']});
		expect(ui.frame()).toContain('new2 resumes fail0001');
		await ui.press('R');
		for (const char of 'use the v2 API') await ui.press(char);
		await ui.press(keys.backspace);
		expect(ui.frame()).toContain('> use the v2 AP█');
		await ui.press(keys.enter);
		expect(source.calls[2]).toEqual({method: 'resume', args: ['fail0001', 'use the v2 AP']});
		await ui.press('R');
		await ui.press(keys.escape);
		expect(source.calls).toHaveLength(3);
		expect(ui.frame()).toContain('fail0001 was not resumed.');
		ui.unmount();
	});

	test('r on a running task is refused', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press('r');
		expect(source.calls).toEqual([]);
		expect(ui.frame()).toContain('busy0001 is running; only a finished task can be retried.');
		ui.unmount();
	});

	test('+ and - change a queued task’s priority, within P0..P2', async () => {
		const source = busyFleet();
		const ui = await renderDashboard({source});
		await ui.press(keys.shiftTab);
		await ui.press('j');
		expect(line(ui.frame(), 'queued02')).toMatch(/P2 queued02/);
		await ui.press('+');
		expect(source.calls.at(-1)).toEqual({method: 'reprioritize', args: ['queued02', 'P1']});
		expect(line(ui.frame(), 'queued02')).toMatch(/P1 queued02/);
		await ui.press('-');
		expect(source.calls.at(-1)).toEqual({method: 'reprioritize', args: ['queued02', 'P2']});
		await ui.press('-');
		expect(source.calls).toHaveLength(2);
		expect(ui.frame()).toContain('queued02 is already P2.');
		ui.unmount();
	});

	test('an action the core refuses ends in the status bar', async () => {
		const source = busyFleet();
		source.failNextAction = new Error('Task fail0001 was already retried.');
		const ui = await renderDashboard({source});
		await ui.press('G');
		await ui.press('r');
		expect(ui.frame()).toContain('Task fail0001 was already retried.');
		ui.unmount();
	});

	test("a hands the terminal to the selected worker's own screen", async () => {
		const attached: string[] = [];
		const ui = await renderDashboard({source: busyFleet(), onAttach: id => attached.push(id)});
		await ui.press('a');
		expect(attached).toEqual(['busy0001']);
		ui.unmount();
	});

	test('a refuses an ended task, and without a terminal to hand over says how to attach from a shell', async () => {
		const attached: string[] = [];
		const ui = await renderDashboard({source: busyFleet(), onAttach: id => attached.push(id)});
		await ui.press('j');
		await ui.press('j');
		await ui.press('a');
		expect(ui.frame()).toContain('done0001 has no live worker to attach to (it is completed).');
		expect(attached).toEqual([]);
		ui.unmount();
		const shell = await renderDashboard({source: busyFleet()});
		await shell.press('a');
		expect(shell.frame()).toContain('Attach from a shell: ccfleet attach busy0001');
		shell.unmount();
	});
});

describe('filter and help', () => {
	test('/ filters the lists as one types; enter keeps the filter, esc clears it', async () => {
		const ui = await renderDashboard({source: busyFleet()});
		await ui.press('/');
		await ui.type('test');
		let frame = ui.frame();
		expect(frame).toContain('/ test█');
		expect(frame).toContain('busy0001');
		expect(frame).toContain('asks0001');
		expect(frame).not.toContain('done0001');
		expect(frame).not.toContain('queued01');
		await ui.press(keys.enter);
		frame = ui.frame();
		expect(frame).toContain('filter "test" · esc clears');
		expect(frame).not.toContain('done0001');
		await ui.press(keys.escape);
		expect(ui.frame()).toContain('done0001');
		ui.unmount();
	});

	test('? lists every key of the keymap; ? again closes it', async () => {
		const ui = await renderDashboard({source: busyFleet(), columns: 80, rows: 24});
		await ui.press('?');
		const frame = ui.frame();
		for (const binding of KEYMAP) {
			expect(frame).toContain(binding.label);
			expect(frame).toContain(binding.description);
		}
		await ui.press('?');
		expect(ui.frame()).toMatch(/▶ Workers/);
		ui.unmount();
	});
});

test('keys that arrive in one read are still one command each; a form opened among them gets the rest', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	await ui.press('jj');
	expect(line(ui.frame(), 'done0001')).toMatch(/^›/);
	await ui.press('Nfix');
	expect(ui.frame()).toMatch(/Prompt\s+fix█/);
	ui.unmount();
});

test('a key that means nothing changes nothing', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	const before = ui.frame();
	await ui.press('z');
	expect(ui.frame()).toBe(before);
	expect(line(ui.frame(), 'busy0001')).toMatch(/^›/);
	ui.unmount();
});
