import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';

const prompt = 'Dashboard: make the worker rows say what each worker does';

test('at every width from 80 up, a worker row shows what it does: its prompt, its question, its tool now', async () => {
	for (const [columns, rows] of [
		[80, 24],
		[100, 30],
		[120, 40],
		[160, 40],
		[200, 50],
	] as const) {
		const source = new FakeFleetSource([
			makeTask({id: 'busy0001', status: 'running', workerState: 'busy', prompt, costUsd: 0.12, activity: {tool: 'Bash', detail: 'npm test'}}),
			makeTask({
				id: 'asks0001',
				status: 'needs_input',
				workerState: 'needs_input',
				prompt,
				question: {toolName: 'Bash', toolInput: {}, question: 'Allow Bash(rm -rf dist)?'},
			}),
			makeTask({id: 'done0001', status: 'completed', prompt}),
		]);
		const ui = await renderDashboard({source, columns, rows});
		const frame = ui.frame();
		// At least "Dashboard: make" or the tool and its argument: a person can tell the workers apart.
		expect(line(frame, 'busy0001 busy'), `${columns}x${rows}`).toContain('Bash: npm test');
		expect(line(frame, 'asks0001 NEEDS INPUT'), `${columns}x${rows}`).toContain('Allow Bash(rm -rf');
		expect(line(frame, 'done0001 completed'), `${columns}x${rows}`).toContain('Dashboard: make the worker');
		expect(line(frame, 'busy0001 busy')).toContain('$0.12');
		ui.unmount();
	}
});

test('the live Output gets the largest area and empty panes shrink to their title', async () => {
	const source = new FakeFleetSource([makeTask({id: 'busy0001', status: 'running', workerState: 'busy', prompt})]);
	source.outputs.set('busy0001', {lines: Array.from({length: 60}, (_, index) => `line ${index}`), live: true});
	const ui = await renderDashboard({source, columns: 120, rows: 40});
	const frame = ui.frame().split('\n');
	expect(frame.filter(row => row.includes('Queue 0 · nothing queued'))).toHaveLength(1);
	expect(frame.filter(row => /line \d+/.test(row)).length).toBeGreaterThanOrEqual(25);
	ui.unmount();
});

test("the live screen's blank middle collapses and its rules end at the pane's edge without …", async () => {
	const source = new FakeFleetSource([makeTask({id: 'busy0001', status: 'running', workerState: 'busy', prompt})]);
	const rule = '─'.repeat(120);
	source.outputs.set('busy0001', {
		lines: ['', ' Claude Code', '', '❯ the prompt', ...Array.from({length: 25}, () => ''), '✻ Working… (12s)', '', rule, '❯ ', rule],
		live: true,
	});
	const ui = await renderDashboard({source, columns: 120, rows: 40});
	const frame = ui.frame();
	expect(frame).not.toContain('─…');
	const rows = frame.split('\n');
	const prompted = rows.findIndex(row => row.includes('❯ the prompt'));
	const working = rows.findIndex(row => row.includes('✻ Working…'));
	expect(working - prompted).toBe(2);
	ui.unmount();
});

test('a task that failed because claude is not logged in says why and what to do, in its row and in Output', async () => {
	const failureReason = 'claude ended before finishing its turn. Its last screen: Not logged in · Please run /login';
	const source = new FakeFleetSource([makeTask({id: 'fail0001', status: 'failed', prompt, failureReason})]);
	const ui = await renderDashboard({source, columns: 120, rows: 40});
	const frame = ui.frame();
	expect(line(frame, 'fail0001 failed')).toContain('claude ended before');
	expect(frame).toContain('✗ failed: claude ended before finishing its turn.');
	expect(frame).toContain('ANTHROPIC_API_KEY');
	expect(frame).toContain('/login');
	expect(frame).not.toContain('(no output yet)');
	ui.unmount();
});

test('a failure claude could not reach the API for points at the network', async () => {
	const source = new FakeFleetSource([makeTask({id: 'fail0002', status: 'failed', prompt, failureReason: 'API error: Unable to connect to API (ECONNREFUSED)'})]);
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	await ui.press(keys.tab);
	expect(ui.frame()).toContain('could not reach the API');
	ui.unmount();
});
