import {afterEach, describe, expect, test} from 'vitest';
import {KEYMAP} from '../../source/ui/keymap.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard, type DashboardHarness} from '../helpers/render.js';
import {waitFor} from '../helpers/wait-for.js';
import {FakeFleetSource, iso, makeTask, PushingFleetSource} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';
const CURL = 'curl -s https://example.com/status';

/** Three workers that ask: two for `npm test` (with claude's own differing descriptions), one for a curl; one busy worker asks nothing. */
function askingFleet<T extends FakeFleetSource>(source: T): T {
	const asking = (id: string, command: string, askedMsAgo: number, cwd: string) =>
		makeTask({
			id,
			status: 'needs_input',
			workerState: 'needs_input',
			startedAt: iso(askedMsAgo + 5000),
			cwd,
			prompt: `Run it (${id})\nsecond line`,
			question: {toolName: 'Bash', toolInput: {command, description: `Runs ${command} for ${id}`}, question: `Allow Bash(${command})?`},
		});
	source.tasks = [
		asking('npm00001', 'npm test', 65_000, '/home/tester/work/api'),
		asking('curl0001', CURL, 40_000, '/srv/checkouts/web'),
		asking('npm00002', 'npm test', 12_000, '/home/tester/work/ui'),
		makeTask({id: 'busy0001', status: 'running', workerState: 'busy', prompt: 'Busy with something'}),
	];
	source.askedAt.set('npm00001', iso(65_000));
	source.askedAt.set('curl0001', iso(40_000));
	source.askedAt.set('npm00002', iso(12_000));
	source.outputs.set('npm00001', {lines: ['● Reading package.json', '● I will run the tests now.', ''], live: true});
	source.outputs.set('curl0001', {lines: ['● Checking the status page'], live: true});
	return source;
}

async function openInbox(ui: DashboardHarness): Promise<void> {
	await ui.press('I');
	await waitFor('the inbox to list the questions', () => ui.frame().includes('3 waiting'));
}

const responds = (source: FakeFleetSource) => source.calls.filter(call => call.method === 'respond').map(call => call.args);

describe('the inbox view', () => {
	test('I lists every waiting question oldest first: task, time waited, directory with ~, question; the selected one’s context below', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		const frame = ui.frame();
		const rows = frame.split('\n').filter(row => /npm0000|curl0001/.test(row) && row.includes('Allow'));
		expect(rows.map(row => /(npm00001|curl0001|npm00002)/.exec(row)![1])).toEqual(['npm00001', 'curl0001', 'npm00002']);
		expect(rows[0]).toMatch(/^› \[ \] npm00001\s+1m05s\s+~\/work\/api\s+Allow Bash\(npm test\)\?/);
		expect(rows[1]).toMatch(/curl0001\s+40s\s+\/srv\/checkouts\/web\s+Allow Bash\(curl -s https:\/\/example\.com\/status\)\?/);
		// Rows aligned: every column starts at the same place.
		expect(new Set(rows.map(row => row.indexOf('Allow'))).size).toBe(1);
		expect(frame).toContain('Context');
		expect(line(frame, 'Context')).toContain('npm00001 · Run it (npm00001)');
		expect(frame).toContain('I will run the tests now.');
		expect(frame).not.toContain('busy0001');
		// The bottom line offers no dashboard keys that do nothing here (N new, c cancel…), only the way back.
		expect(frame.split('\n').at(-1)).toBe('inbox: its keys are above · esc, q or I back to the dashboard');
		// Moving the selection shows the other task's context.
		await ui.press('j');
		expect(line(ui.frame(), 'curl0001')).toMatch(/^›/);
		expect(ui.frame()).toContain('Checking the status page');
		await ui.press(keys.escape);
		expect(ui.frame()).toMatch(/▶ Workers/);
		ui.unmount();
	});

	test('a marks every question alike the selected one (same tool and command), y approves both; their rows go, the curl stays', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		await ui.press('a');
		expect(ui.frame()).toContain('2 marked');
		expect(ui.frame()).toContain('Marked 2 questions like Bash(npm test)');
		expect(line(ui.frame(), 'npm00001')).toContain('[x]');
		expect(line(ui.frame(), 'npm00002')).toContain('[x]');
		expect(line(ui.frame(), 'curl0001 ')).toContain('[ ]');
		await ui.press('y');
		await waitFor('the answered rows to go', () => ui.frame().includes('1 waiting'));
		expect(responds(source)).toEqual([
			['npm00001', {action: 'approve'}],
			['npm00002', {action: 'approve'}],
		]);
		expect(ui.frame()).toContain('Approved 2 questions: npm00001, npm00002.');
		expect(ui.frame()).not.toMatch(/npm0000\d +\d/);
		expect(line(ui.frame(), 'curl0001 ')).toMatch(/^›/);
		ui.unmount();
	});

	test('a again unmarks them; space marks one row; y with nothing marked approves the selected one', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		await ui.press('a');
		await ui.press('a');
		expect(ui.frame()).not.toContain('2 marked');
		await ui.press('j');
		await ui.press(' ');
		expect(line(ui.frame(), 'curl0001 ')).toContain('[x]');
		await ui.press(' ');
		expect(line(ui.frame(), 'curl0001 ')).toContain('[ ]');
		await ui.press('y');
		await waitFor('the answered row to go', () => ui.frame().includes('2 waiting'));
		expect(responds(source)).toEqual([['curl0001', {action: 'approve'}]]);
		expect(ui.frame()).toContain('Approved 1 question: curl0001.');
		ui.unmount();
	});

	test('n asks why (optional): enter denies the marked ones with it; with nothing typed, with the dashboard’s words; esc goes back', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		await ui.press('n');
		expect(ui.frame()).toContain('Deny 1 — why (optional):');
		await ui.press(keys.escape);
		expect(ui.frame()).toContain('3 waiting');
		expect(responds(source)).toEqual([]);
		await ui.press('a');
		await ui.press('n');
		expect(ui.frame()).toContain('Deny 2 — why (optional):');
		await ui.type('use npm run test:unit');
		await ui.press(keys.enter);
		await waitFor('the denied rows to go', () => ui.frame().includes('1 waiting'));
		expect(responds(source)).toEqual([
			['npm00001', {action: 'deny', message: 'use npm run test:unit'}],
			['npm00002', {action: 'deny', message: 'use npm run test:unit'}],
		]);
		expect(ui.frame()).toContain('Denied 2 questions');
		await ui.press('n');
		await ui.press(keys.enter);
		await waitFor('the last row to go', () => ui.frame().includes('No question is waiting'));
		expect(responds(source).at(-1)).toEqual(['curl0001', {action: 'deny', message: 'The user denied this from the ccfleet dashboard.'}]);
		ui.unmount();
	});

	test('A approves always for this project, T always for this task', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		await ui.press('a');
		await ui.press('A');
		await waitFor('the answered rows to go', () => ui.frame().includes('1 waiting'));
		expect(ui.frame()).toContain('Approved 2 questions, always allowed for this project');
		await ui.press('T');
		await waitFor('the last row to go', () => ui.frame().includes('0 waiting'));
		expect(responds(source)).toEqual([
			['npm00001', {action: 'approve'}, {always: 'project'}],
			['npm00002', {action: 'approve'}, {always: 'project'}],
			['curl0001', {action: 'approve'}, {always: 'task'}],
		]);
		ui.unmount();
	});

	test('an answer the core refuses says so and keeps the row', async () => {
		const source = askingFleet(new FakeFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		source.failNextAction = new Error('Task npm00001 is running; it waits for no answer.');
		await ui.press('y');
		await waitFor('the refusal', () => ui.frame().includes('Not answered: npm00001: Task npm00001 is running'));
		expect(ui.frame()).toContain('3 waiting');
		ui.unmount();
	});

	test('the list is fetched again when the set of waiting tasks changes, not when anything else does', async () => {
		const source = askingFleet(new PushingFleetSource());
		const ui = await renderDashboard({source, columns: 120, rows: 30});
		await openInbox(ui);
		const fetches = () => source.calls.filter(call => call.method === 'questions').length;
		expect(fetches()).toBe(1);
		source.change('busy0001', {costUsd: 0.5});
		await waitFor('the change to land', () => ui.store.getState().snapshot?.tasks.find(task => task.id === 'busy0001')?.costUsd === 0.5);
		expect(fetches()).toBe(1);
		source.askedAt.set('busy0001', iso(0));
		source.change('busy0001', {
			status: 'needs_input',
			workerState: 'needs_input',
			question: {toolName: 'Edit', toolInput: {file_path: '/x/a.ts'}, question: 'Allow Edit(/x/a.ts)?'},
		});
		await waitFor('the new question in the inbox', () => ui.frame().includes('4 waiting'));
		expect(fetches()).toBe(2);
		expect(line(ui.frame(), 'busy0001')).toContain('Allow Edit(/x/a.ts)?');
		// Closed, it fetches nothing.
		await ui.press(keys.escape);
		source.change('curl0001', {status: 'running', workerState: 'busy', question: undefined});
		await waitFor('the change to land', () => ui.store.getState().snapshot?.tasks.find(task => task.id === 'curl0001')?.status === 'running');
		expect(fetches()).toBe(2);
		ui.unmount();
	});

	test('the header says I opens the inbox while several wait, and drops the hint first where it is narrow', async () => {
		const ui = await renderDashboard({source: askingFleet(new FakeFleetSource()), columns: 120, rows: 30});
		expect(ui.frame().split('\n')[0]).toContain('! 3 need input (i · I inbox)');
		ui.unmount();
		const narrow = await renderDashboard({source: askingFleet(new FakeFleetSource()), columns: 80, rows: 24});
		const header = narrow.frame().split('\n')[0]!;
		expect(header).toContain('! 3 need input (i)');
		expect([...header].length).toBeLessThanOrEqual(80);
		narrow.unmount();
	});

	test('with nothing waiting it says so; the help lists I', async () => {
		const ui = await renderDashboard({source: new FakeFleetSource([makeTask({id: 'busy0001', status: 'running'})]), columns: 100, rows: 30});
		await ui.press('I');
		await waitFor('the empty inbox', () => ui.frame().includes('No question is waiting.'));
		await ui.press(keys.escape);
		await ui.press('?');
		expect(ui.frame()).toMatch(/I\s+inbox: all waiting questions/);
		expect(KEYMAP.some(binding => binding.command === 'inbox')).toBe(true);
		ui.unmount();
	});

	test.each([
		[80, 24],
		[120, 40],
	])('at %ix%i no line is wider than the terminal and the columns line up', async (columns, rows) => {
		const source = askingFleet(new FakeFleetSource());
		const command = `${CURL} --retry 5 --retry-delay 2 --header "Accept: application/json"`;
		source.tasks[1] = {
			...source.tasks[1]!,
			cwd: '/srv/checkouts/a-very-long-directory-name/with/many/levels/web',
			question: {toolName: 'Bash', toolInput: {command}, question: `Allow Bash(${command})?`},
		};
		const ui = await renderDashboard({source, columns, rows});
		await openInbox(ui);
		const frame = ui.frame();
		const lines = frame.split('\n');
		expect(lines.length).toBeLessThanOrEqual(rows);
		for (const text of lines) expect([...text].length, text).toBeLessThanOrEqual(columns);
		const listed = lines.filter(text => text.includes('Allow'));
		expect(listed).toHaveLength(3);
		expect(new Set(listed.map(text => text.indexOf('Allow'))).size).toBe(1);
		// Shortened at a word, never mid-word: what is cut ends in … after a whole word.
		const curl = line(frame, 'curl0001 ');
		expect(curl).toMatch(/…\/(?:[\w-]+\/)*web\s/);
		if (curl.includes('…')) expect(curl.trimEnd()).toMatch(/(\s\S+…|\?)$/);
		expect(line(frame, 'space')).toContain('esc');
		ui.unmount();
	});
});
