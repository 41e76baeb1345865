import {afterEach, describe, expect, test} from 'vitest';
import {computeLayout, windowStart} from '../../source/ui/layout.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard, type DashboardHarness} from '../helpers/render.js';
import {waitFor} from '../helpers/wait-for.js';
import {busyFleet, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

/** A fleet that tries hard to overflow: long prompts and questions, wide output lines, many tasks. */
function crowdedFleet() {
	const source = busyFleet();
	const long = 'Refactor the whole scheduler so that missed runs are caught up, '.repeat(6);
	for (let i = 0; i < 40; i++) {
		source.tasks.push(makeTask({id: `extra${String(i).padStart(3, '0')}`, status: i % 2 ? 'queued' : 'completed', queuePosition: i + 3, prompt: long}));
	}
	source.tasks[3] = {...source.tasks[3]!, question: {toolName: 'Bash', toolInput: {command: long}, question: `Bash: ${long}`}};
	source.outputs.set('busy0001', {lines: Array.from({length: 80}, (_, i) => `${i} ${'─'.repeat(150)}`), live: true});
	return source;
}

function fits(ui: DashboardHarness, columns: number, rows: number): boolean {
	const lines = ui.frame().split('\n');
	return lines.length <= rows - 1 && lines.every(line => [...line].length <= columns);
}

function expectFits(ui: DashboardHarness, columns: number, rows: number) {
	const lines = ui.frame().split('\n');
	expect(lines.length).toBeLessThanOrEqual(rows - 1);
	for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(columns);
}

describe('80x24', () => {
	test('every screen fits: no line longer than 80 columns, never as tall as the terminal', async () => {
		const ui = await renderDashboard({source: crowdedFleet(), columns: 80, rows: 24});
		expectFits(ui, 80, 24);
		expect(ui.frame()).toContain('Queue');
		expect(ui.frame()).toContain('Workers');
		expect(ui.frame()).toContain('Output');
		for (const [open, close] of [
			['?', keys.escape],
			['i', ''],
			[keys.enter, keys.escape],
			['N', keys.escape],
			['c', keys.escape],
			['q', keys.escape],
			['/', keys.escape],
		] as const) {
			await ui.press(open);
			expectFits(ui, 80, 24);
			if (close) await ui.press(close);
		}
	});

	test('the panes share the rows in fixed proportions', () => {
		const layout = computeLayout(80, 24);
		expect(layout.height).toBe(23);
		expect(layout.isWide).toBe(false);
		expect(layout.queue.height + layout.workers.height + layout.output.height).toBe(layout.body.height);
		expect(layout.output.height).toBeGreaterThanOrEqual(8);
	});
});

test('a wide terminal puts the Output pane beside the lists', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 140, rows: 30});
	const top = ui.frame().split('\n')[1]!;
	expect(top).toMatch(/Queue .*Output busy0001/);
	expectFits(ui, 140, 30);
});

test('it redraws at the new size when the terminal is resized', async () => {
	const ui = await renderDashboard({source: crowdedFleet(), followTerminal: true});
	Object.defineProperty(ui.stdout, 'rows', {value: 40, configurable: true});
	ui.stdout.emit('resize');
	// Ink redraws on its own schedule; a busy machine may need more than one tick.
	await waitFor('the frame redrawn at 100x40', () => fits(ui, 100, 40), 5000);
	expectFits(ui, 100, 40);
	Object.defineProperty(ui.stdout, 'columns', {value: 60, configurable: true});
	Object.defineProperty(ui.stdout, 'rows', {value: 20, configurable: true});
	ui.stdout.emit('resize');
	await waitFor('the frame redrawn at 60x20', () => fits(ui, 60, 20), 5000);
	expectFits(ui, 60, 20);
	expect(ui.frame()).toContain('Workers');
});

test('a terminal too small says how big it must be', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 30, rows: 8});
	expect(ui.frame()).toContain('ccfleet needs 40x10');
	await ui.press('q');
	expect(ui.frame()).toContain('2 workers are running.');
});

test('windowStart keeps the selected row in view, centred when it can', () => {
	expect(windowStart(5, 4, 10)).toBe(0);
	expect(windowStart(100, 0, 10)).toBe(0);
	expect(windowStart(100, 50, 10)).toBe(45);
	expect(windowStart(100, 99, 10)).toBe(90);
});
