import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

/** The busy fleet with its daily budget spent: the queue is held until it is raised. */
function budgetHeldFleet() {
	const source = busyFleet();
	source.admission = {
		dailyBudgetUsd: 10,
		spentTodayUsd: 10.4,
		heldBy: 'the daily budget of $10.00 is spent ($10.40 since midnight)',
		heldByPolicy: 'daily budget',
	};
	return source;
}

const GB = 1024 ** 3;

test('L opens the form with the limits in force', async () => {
	const ui = await renderDashboard({source: budgetHeldFleet()});
	await ui.press('L');
	const frame = ui.frame();
	expect(frame).toMatch(/Fleet limits \$10\.40 spent today/);
	expect(frame).toMatch(/› Daily budget\s+10█/);
	expect(frame).toMatch(/ Ceiling\s+4\s/);
	expect(frame).toMatch(/CPU threshold\s+80\s/);
	expect(frame).toMatch(/Memory reserve\s+1GB\s/);
	expect(frame).toMatch(/Worker max RSS\s+4GB\s/);
	ui.unmount();
});

test('raising the budget sends only the budget, closes the form and lets the queue go on', async () => {
	const source = budgetHeldFleet();
	const ui = await renderDashboard({source});
	expect(ui.frame().split('\n').at(-1)).toMatch(/^L raise the budget · /);
	await ui.press('L');
	await ui.press(keys.ctrlU);
	await ui.type('$25');
	expect(ui.frame()).toMatch(/Daily budget\s+\$25█\s*\*/);
	await ui.press(keys.enter);
	expect(source.calls).toEqual([{method: 'configure', args: [{dailyBudgetUsd: 25}]}]);
	expect(ui.frame()).not.toMatch(/Fleet limits/);
	expect(ui.frame()).toContain('limits changed: daily budget $25');
	await ui.refresh();
	expect(ui.store.getState().snapshot?.fleet.admission).toMatchObject({dailyBudgetUsd: 25, heldBy: undefined});
	expect(ui.frame().split('\n')[0]).not.toContain('held');
	ui.unmount();
});

test('sizes and counts are typed with units; an empty ceiling or budget takes it away', async () => {
	const source = budgetHeldFleet();
	const ui = await renderDashboard({source});
	await ui.press('L');
	await ui.press(keys.ctrlU);
	await ui.press(keys.tab);
	await ui.press(keys.ctrlU);
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	await ui.press(keys.ctrlU);
	await ui.type('2.5GB');
	await ui.press(keys.down);
	await ui.press(keys.ctrlU);
	await ui.type('512M');
	await ui.press(keys.enter);
	expect(source.calls).toEqual([{method: 'configure', args: [{dailyBudgetUsd: null, maxWorkers: null, memoryReserveBytes: 2.5 * GB, workerMaxRssBytes: 512 * 1024 ** 2}]}]);
	ui.unmount();
});

test("the core's refusal stays in the form, on the field, with what was typed", async () => {
	const source = budgetHeldFleet();
	source.failNextAction = new Error('cpuThresholdPercent cannot be 150: No new worker starts while CPU load is at or above this percentage: above 0, at most 100.');
	const ui = await renderDashboard({source});
	await ui.press('L');
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	await ui.press(keys.ctrlU);
	await ui.type('150');
	await ui.press(keys.up);
	await ui.press(keys.enter);
	const frame = ui.frame();
	expect(frame).toMatch(/Fleet limits/);
	expect(frame).toContain('CPU threshold cannot be 150: No new worker starts');
	expect(frame).toContain('above 0, at most 100.');
	expect(frame).toMatch(/› CPU threshold\s+150█/);
	expect(source.admission.cpuThresholdPercent).toBeUndefined();
	ui.unmount();
});

test('what cannot be read is refused before anything is sent', async () => {
	const source = budgetHeldFleet();
	const ui = await renderDashboard({source});
	await ui.press('L');
	await ui.press(keys.up);
	await ui.press(keys.ctrlU);
	await ui.type('lots');
	await ui.press(keys.enter);
	expect(ui.frame()).toContain('Worker max RSS: Type a size, like 4GB or 512MB.');
	expect(source.calls).toEqual([]);
	ui.unmount();
});

test('esc leaves the form and changes nothing', async () => {
	const source = budgetHeldFleet();
	const ui = await renderDashboard({source});
	await ui.press('L');
	await ui.type('0');
	await ui.press(keys.escape);
	expect(ui.frame()).not.toMatch(/Fleet limits/);
	expect(source.calls).toEqual([]);
	expect(source.admission.dailyBudgetUsd).toBe(10);
	ui.unmount();
});

test('enter with nothing changed sends nothing', async () => {
	const source = budgetHeldFleet();
	const ui = await renderDashboard({source});
	await ui.press('L');
	await ui.press(keys.enter);
	expect(source.calls).toEqual([]);
	expect(ui.frame()).toContain('The limits stay as they were.');
	ui.unmount();
});

test('the budget hint shows only while the budget holds the queue', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 120});
	expect(ui.frame()).not.toContain('L raise the budget');
	ui.unmount();
});

test('the help lists the key', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 80, rows: 24});
	await ui.press('?');
	expect(ui.frame()).toMatch(/L\s+limits: budget, ceiling…/);
	ui.unmount();
});

for (const [columns, rows] of [
	[80, 24],
	[120, 40],
] as const) {
	test(`the form fits ${columns}x${rows}`, async () => {
		const source = budgetHeldFleet();
		source.failNextAction = new Error(
			'dailyBudgetUsd cannot be 0: No new task starts once this much (USD, above 0, at most 1000000) was spent since local midnight; null removes the budget.',
		);
		const ui = await renderDashboard({source, columns, rows});
		await ui.press('L');
		await ui.press(keys.ctrlU);
		await ui.type('0');
		await ui.press(keys.enter);
		const lines = ui.frame().split('\n');
		expect(lines.length).toBeLessThanOrEqual(rows - 1);
		for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
		const frame = lines.join('\n');
		for (const label of ['Daily budget', 'Ceiling', 'CPU threshold', 'Memory reserve', 'Worker max RSS', 'Daily budget cannot be 0', 'esc cancel']) {
			expect(frame).toContain(label);
		}
		if (process.env.SHOW_FRAMES) console.log(frame);
		ui.unmount();
	});
}
