import chalk from 'chalk';
import {afterAll, afterEach, beforeAll, expect, test} from 'vitest';
import {PLAIN_THEME} from '../../source/ui/theme.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const level = chalk.level;
beforeAll(() => {
	chalk.level = 1;
});
afterAll(() => {
	chalk.level = level;
});

/** The DAG pane's line of a task (the lists have lines with its id too). */
const node = (frame: string, id: string) => frame.split('\n').find(row => row.includes(id) && /[●◉]/.test(row)) ?? '';

/** design → implement → test → release, design → docs → release; `design` is too old for the snapshot. */
function familyFleet(): FakeFleetSource {
	const source = new FakeFleetSource([
		makeTask({id: 'implem01', status: 'running', dependsOn: ['design01'], prompt: 'Implement it'}),
		makeTask({id: 'docs0001', status: 'completed', continueFrom: 'design01', prompt: 'Write the docs'}),
		makeTask({id: 'test0001', status: 'queued', queuePosition: 1, dependsOn: ['implem01'], prompt: 'Test it'}),
		makeTask({id: 'release1', status: 'queued', queuePosition: 2, dependsOn: ['test0001', 'docs0001'], prompt: 'Release it'}),
		makeTask({id: 'alone001', status: 'running', prompt: 'Unrelated'}),
	]);
	source.archived = [makeTask({id: 'design01', status: 'completed', createdAt: '2026-02-01T00:00:00.000Z', prompt: 'Design it'})];
	return source;
}

test('d shows the selected task’s family in the Output pane’s place; the missing member is fetched by id', async () => {
	const source = familyFleet();
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	expect(ui.frame()).toMatch(/Output implem01/);
	// The snapshot knows four of the five; the poller fetched design01 with task_status {id}.
	expect(source.calls).toEqual([{method: 'task', args: ['design01']}]);
	await ui.press('d');
	const frame = ui.frame();
	expect(frame).not.toMatch(/Output implem01/);
	expect(frame).toMatch(/▶ DAG implem01 · 5 tasks ─/);
	expect(node(frame, 'design01')).toMatch(/^ {2}● {3}design01 completed\s+Design it/);
	expect(node(frame, 'implem01')).toMatch(/^› ├─◉ implem01 running\s+Implement it/);
	expect(node(frame, 'docs0001')).toMatch(/^ {2}● │ docs0001 completed/);
	expect(node(frame, 'test0001')).toMatch(/^ {2}│ ● test0001 queued/);
	expect(node(frame, 'release1')).toMatch(/^ {2}●─┘ release1 queued/);
	// Statuses in their colours: running cyan, completed green.
	expect(node(ui.rawFrame(), 'implem01')).toContain('\u001B[36m');
	expect(node(ui.rawFrame(), 'docs0001')).toContain('\u001B[32m');
	ui.unmount();
});

test('j/k walk the family in drawing order, enter shows the task pointed at, tab leaves the pane', async () => {
	const source = familyFleet();
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	await ui.press('d');
	await ui.press('j');
	expect(node(ui.frame(), 'docs0001')).toMatch(/^› ◉ │ docs0001/);
	expect(node(ui.frame(), 'implem01')).toMatch(/^ {2}├─● implem01/);
	await ui.press('G');
	expect(node(ui.frame(), 'release1')).toMatch(/^› ◉─┘ release1/);
	await ui.press('g');
	await ui.press(keys.enter);
	expect(ui.frame()).toMatch(/Details design01/);
	expect(ui.frame()).toContain('Design it');
	await ui.press(keys.escape);
	expect(ui.frame()).toMatch(/▶ DAG/);
	await ui.press(keys.tab);
	expect(ui.frame()).toMatch(/▶ Schedules/);
	// Moving the selection in a list shows that task's family, pointed at the task itself again.
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	await ui.press('j');
	await ui.press('d');
	expect(ui.frame()).toMatch(/▶ DAG alone001 · no dependencies either way/);
	expect(ui.frame()).toContain('alone001 depends on no task and no task depends on it.');
	ui.unmount();
});

test('with no task selected the pane says what it is for; at 80x24 everything fits', async () => {
	const ui = await renderDashboard({source: new FakeFleetSource(), columns: 80, rows: 24});
	await ui.press('d');
	expect(ui.frame()).toContain('Select a task to see what it depends on and what depends on it.');
	const big = familyFleet();
	for (let i = 0; i < 30; i++)
		big.tasks.push(
			makeTask({
				id: `chain${String(i).padStart(3, '0')}`,
				status: 'queued',
				queuePosition: i + 3,
				dependsOn: [i === 0 ? 'release1' : `chain${String(i - 1).padStart(3, '0')}`],
			}),
		);
	const crowded = await renderDashboard({source: big, columns: 80, rows: 24});
	await crowded.press('d');
	await crowded.refresh();
	const lines = crowded.frame().split('\n');
	expect(lines.length).toBeLessThanOrEqual(23);
	for (const row of lines) expect([...row].length).toBeLessThanOrEqual(80);
	expect(crowded.frame()).toMatch(/DAG implem01 · 35 tasks · 1-\d+ of 35 rows/);
	expect(node(crowded.frame(), 'implem01')).toMatch(/^›/);
});

test('NO_COLOR: no escape codes, the status words and the marks still say it all', async () => {
	const ui = await renderDashboard({source: familyFleet(), columns: 80, rows: 24, theme: PLAIN_THEME});
	await ui.press('d');
	await ui.refresh();
	expect(ui.rawFrame()).not.toContain('\u001B');
	expect(node(ui.frame(), 'implem01')).toMatch(/^› ├─◉ implem01 running/);
});

test('a wide terminal shows the DAG under the Output pane and the Schedules across the bottom, all at once', async () => {
	const ui = await renderDashboard({source: familyFleet(), columns: 130, rows: 34});
	await ui.refresh();
	const frame = ui.frame();
	expect(frame).toMatch(/Output implem01/);
	expect(frame).toMatch(/ DAG implem01 · 5 tasks/);
	expect(frame).toMatch(/ Schedules 0 · make one with ccfleet schedule create/);
	for (const row of frame.split('\n')) expect([...row].length).toBeLessThanOrEqual(130);
});
