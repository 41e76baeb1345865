import chalk from 'chalk';
import {afterEach, describe, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, localTime, NOW, parkedFleet, RESETS_AT} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';
const headerOf = (frame: string) => frame.split('\n')[0]!;

describe('parked tasks in the Queue pane', () => {
	test.each([80, 120])('at %i columns they head the queue with when they go on, the prompts aligned with the queued ones', async columns => {
		const ui = await renderDashboard({source: parkedFleet(), columns, rows: columns === 80 ? 24 : 40});
		const frame = ui.frame();
		const first = line(frame, 'parked01');
		const second = line(frame, 'parked02');
		const queued = line(frame, 'queued01');
		expect(first).toMatch(new RegExp(`park\\s+P1 parked01 \\d+m\\d\\ds\\s+parked until ${localTime(RESETS_AT)}\\s+Port`));
		expect(second).toContain(`parked until ${localTime(RESETS_AT)}`);
		// The ready tasks wait behind the same limit, named in the policy's words.
		expect(queued).toMatch(/#1\s+P0 queued01 .*held: 5-hour limit\s+Write/);
		expect(first.indexOf('Port')).toBe(queued.indexOf('Write'));
		expect(second.indexOf('Update')).toBe(queued.indexOf('Write'));
		expect(frame.indexOf('parked01')).toBeLessThan(frame.indexOf('queued01'));
		ui.unmount();
	});

	test('their details say when and why they go on', async () => {
		const ui = await renderDashboard({source: parkedFleet(), columns: 120, rows: 40});
		await ui.press(keys.shiftTab);
		await ui.press(keys.enter);
		const frame = ui.frame();
		expect(frame).toMatch(/Details parked01/);
		expect(frame).toMatch(/status\s+parked/);
		expect(frame).toMatch(new RegExp(`parked until\\s+${localTime(RESETS_AT)} \\(in 48m00s\\): the account's usage limit stopped its worker`));
		ui.unmount();
	});

	test('they are in the parked colour, not plain like a status the dashboard does not know', async () => {
		const level = chalk.level;
		chalk.level = 3;
		try {
			const ui = await renderDashboard({source: parkedFleet(), columns: 120, rows: 40});
			// Not the first row (it is selected, so inverse): the second parked row, in yellow (33).
			expect(line(ui.rawFrame(), 'parked02')).toMatch(/\u001B\[33m {2}park/);
			ui.unmount();
		} finally {
			chalk.level = level;
		}
	});
});

describe("the header's usage limit", () => {
	test.each([80, 120])('at %i columns: the limit with its reset in local time, and the parked count', async columns => {
		const ui = await renderDashboard({source: parkedFleet(), columns, rows: 30});
		const header = headerOf(ui.frame());
		expect(header).toContain(`5-hour limit · resets ${localTime(RESETS_AT)}`);
		expect([...header.trimEnd()].length).toBeLessThanOrEqual(columns);
		expect(header).not.toContain('…');
		// The header names the limit itself, so the hold does not say it again.
		expect(header).not.toContain('held:');
		if (columns >= 120) expect(header).toContain('2 parked');
		ui.unmount();
	});

	test('the limit is in the warning colour', async () => {
		const level = chalk.level;
		chalk.level = 3;
		try {
			const source = parkedFleet();
			// Alone at the head of the line, so no other warning's colour runs on into it.
			source.tasks = source.tasks.filter(task => task.status !== 'needs_input');
			const ui = await renderDashboard({source, columns: 120});
			expect(headerOf(ui.rawFrame())).toMatch(/\u001B\[33m {2}5-hour limit · resets/);
			ui.unmount();
		} finally {
			chalk.level = level;
		}
	});

	test('a weekly limit a few days off says the day', async () => {
		const source = parkedFleet();
		const resetsAt = new Date(NOW + 3 * 86_400_000).toISOString();
		source.fleetOverrides = {usageLimit: {state: 'limited', kind: 'seven_day', resetsAt}};
		const ui = await renderDashboard({source, columns: 120});
		expect(headerOf(ui.frame())).toMatch(new RegExp(`weekly limit · resets (Sun|Mon|Tue|Wed|Thu|Fri|Sat) ${localTime(resetsAt)}`));
		ui.unmount();
	});

	test('after the reset it says the fleet ramps up; near the limit it warns', async () => {
		const source = busyFleet();
		source.fleetOverrides = {usageLimit: {state: 'ramping', kind: 'five_hour', resetsAt: RESETS_AT}};
		const ui = await renderDashboard({source, columns: 120});
		expect(headerOf(ui.frame())).toContain('limit reset · ramping up');
		source.fleetOverrides = {usageLimit: {state: 'warning', kind: 'five_hour'}};
		await ui.refresh();
		expect(headerOf(ui.frame())).toContain('near the 5-hour limit');
		source.fleetOverrides = {};
		await ui.refresh();
		expect(headerOf(ui.frame())).not.toMatch(/limit/);
		ui.unmount();
	});

	test('stays at 80 columns where the hold sentence and the long forms go', async () => {
		const source = parkedFleet();
		source.admission = {...source.admission, dailyBudgetUsd: 10, spentTodayUsd: 3.2};
		const ui = await renderDashboard({source, columns: 80, rows: 24});
		const header = headerOf(ui.frame());
		expect(header).toContain('! 1 needs input (i)');
		expect(header).toContain('5-hour limit · resets');
		expect([...header.trimEnd()].length).toBeLessThanOrEqual(80);
		ui.unmount();
	});
});

describe("the header's daily budget", () => {
	test('shows what was spent today of the budget, when one is set', async () => {
		const source = busyFleet();
		source.admission = {dailyBudgetUsd: 10, spentTodayUsd: 3.2};
		const ui = await renderDashboard({source, columns: 120});
		expect(headerOf(ui.frame())).toContain('$3.20 of $10 today');
		source.admission = {};
		await ui.refresh();
		expect(headerOf(ui.frame())).not.toContain('today');
		ui.unmount();
	});

	test('a spent budget holds the queue: shown in the warning colour instead of a second "held:"', async () => {
		const level = chalk.level;
		chalk.level = 3;
		try {
			const source = busyFleet();
			source.admission = {dailyBudgetUsd: 5, spentTodayUsd: 5.1, heldBy: 'the daily budget of $5.00 is spent ($5.10 since midnight)', heldByPolicy: 'daily budget'};
			const ui = await renderDashboard({source, columns: 80, rows: 24});
			expect(headerOf(ui.frame())).toContain('$5.10 of $5 today');
			expect(headerOf(ui.frame())).not.toContain('held:');
			expect(headerOf(ui.rawFrame())).toMatch(/\u001B\[33m {2}\$5\.10 of \$5 today/);
			ui.unmount();
		} finally {
			chalk.level = level;
		}
	});
});

describe('the hold named by its policy', () => {
	test('the label comes from heldByPolicy, whatever the sentence says', async () => {
		const source = busyFleet();
		source.admission = {maxWorkers: 4, heldBy: 'four workers run, which is all this fleet is allowed', heldByPolicy: 'ceiling'};
		const ui = await renderDashboard({source, columns: 80, rows: 24});
		expect(headerOf(ui.frame())).toContain('held: max 4 workers');
		expect(line(ui.frame(), 'queued01')).toContain('held: max 4 workers');
		source.admission = {heldBy: 'CPU load 93 % is at or above the threshold', heldByPolicy: 'cpu'};
		await ui.refresh();
		expect(headerOf(ui.frame())).toContain('held: CPU ≥80%');
		ui.unmount();
	});

	test('a policy the dashboard does not know falls back to the sentence, cut after a whole word', async () => {
		const source = busyFleet();
		source.admission = {heldBy: 'the nightly maintenance window is open until six', heldByPolicy: 'maintenance'};
		const wide = await renderDashboard({source, columns: 200, rows: 40});
		expect(headerOf(wide.frame())).toContain('held: the nightly maintenance window is open until six');
		wide.unmount();
		const narrow = await renderDashboard({source, columns: 80, rows: 24});
		expect(headerOf(narrow.frame())).toMatch(/held: the nightly maintenance…/);
		narrow.unmount();
	});

	test('the pause between two starts is still no hold worth showing', async () => {
		const source = busyFleet();
		source.admission = {heldBy: 'the next start waits 250 ms after the last one', heldByPolicy: 'stagger'};
		const ui = await renderDashboard({source, columns: 120});
		expect(ui.frame()).not.toContain('held:');
		ui.unmount();
	});
});
