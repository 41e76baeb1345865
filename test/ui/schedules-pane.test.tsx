import {afterEach, expect, test} from 'vitest';
import {PLAIN_THEME} from '../../source/ui/theme.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, iso, makeSchedule, NOW} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const line = (frame: string, text: string) => frame.split('\n').find(row => row.includes(text)) ?? '';

function scheduledFleet() {
	const source = busyFleet();
	source.schedules = [
		makeSchedule({id: 'morning1', task: {prompt: 'Triage the new issues', cwd: '/work/project'}}),
		makeSchedule({
			id: 'once0001',
			kind: 'once',
			cron: undefined,
			runAt: new Date(NOW + 60_000).toISOString(),
			nextRunAt: new Date(NOW + 60_000).toISOString(),
			timezone: 'UTC',
			task: {prompt: 'Write the nightly report', cwd: '/work/project'},
		}),
		makeSchedule({
			id: 'nightly1',
			cron: '30 2 * * *',
			status: 'paused',
			nextRunAt: undefined,
			lastRunAt: iso(3_600_000),
			lastRun: {id: 7, scheduledFor: iso(3_600_000), firedAt: iso(3_600_000), taskId: 'fail0001', outcome: 'failed'},
		}),
		makeSchedule({id: 'ended001', kind: 'once', cron: undefined, status: 'completed', nextRunAt: undefined, runAt: iso(7_200_000), timezone: 'UTC'}),
	];
	return source;
}

test('s shows every schedule: when, zone, next run, last run and how it went, status', async () => {
	const ui = await renderDashboard({source: scheduledFleet(), columns: 100, rows: 30});
	await ui.press('s');
	const frame = ui.frame();
	expect(frame).toMatch(/▶ Schedules 2 active · 2 other · p pause\/resume · c cancel/);
	expect(frame).toMatch(/ID\s+STATUS\s+WHEN\s+ZONE\s+NEXT\s+LAST RUN\s+PROMPT/);
	expect(line(frame, 'morning1')).toMatch(/^› morning1 active\s+cron 0 9 \* \* 1-5 Europe\/Berlin in 1h30m never\s+Triage the new/);
	expect(line(frame, 'once0001')).toMatch(/once0001 active\s+once 03-01 12:01 UTC\s+in 1m\s+never\s+Write the nightly/);
	expect(line(frame, 'nightly1')).toMatch(/nightly1 paused\s+cron 30 2 \* \* \*\s+Europe\/Berlin -\s+1h00m ago failed/);
	expect(line(frame, 'ended001')).toMatch(/ended001 completed/);
	ui.unmount();
});

test('p pauses the selected schedule and resumes a paused one', async () => {
	const source = scheduledFleet();
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	await ui.press('s');
	await ui.press('p');
	expect(source.calls.at(-1)).toEqual({method: 'pauseSchedule', args: ['morning1']});
	expect(line(ui.frame(), 'morning1')).toMatch(/morning1 paused\s+cron 0 9 \* \* 1-5 Europe\/Berlin -/);
	expect(ui.frame()).toContain('Schedule morning1 is paused.');
	await ui.press('p');
	expect(source.calls.at(-1)).toEqual({method: 'resumeSchedule', args: ['morning1']});
	expect(line(ui.frame(), 'morning1')).toMatch(/morning1 active .* in 1h30m/);
	ui.unmount();
});

test('c asks before cancelling a schedule; n keeps it, y cancels it', async () => {
	const source = scheduledFleet();
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	await ui.press('s');
	await ui.press('j');
	await ui.press('c');
	expect(ui.frame()).toMatch(/Cancel schedule once0001\?/);
	expect(ui.frame()).toContain('once0001 is active: Write the nightly report');
	await ui.press('n');
	expect(source.calls).toEqual([]);
	expect(ui.frame()).toContain('Schedule once0001 stays.');
	await ui.press('c');
	await ui.press('y');
	expect(source.calls).toEqual([{method: 'cancelSchedule', args: ['once0001', 'cancelled from the dashboard']}]);
	expect(line(ui.frame(), 'once0001')).toMatch(/once0001 cancelled/);
	expect(ui.frame()).toContain('Schedule once0001 is cancelled.');
	ui.unmount();
});

test('an ended schedule is neither paused nor cancelled; p elsewhere says where schedules are', async () => {
	const source = scheduledFleet();
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	await ui.press('p');
	expect(ui.frame()).toContain('Press s for the Schedules pane');
	await ui.press('s');
	await ui.press('G');
	await ui.press('p');
	expect(ui.frame()).toContain('Schedule ended001 is completed; only an active one pauses and a paused one resumes.');
	await ui.press('c');
	expect(ui.frame()).toContain('Schedule ended001 has ended (completed); there is nothing to cancel.');
	expect(source.calls).toEqual([]);
	// A task's c still cancels the task from the lists.
	await ui.press(keys.tab);
	await ui.press(keys.tab);
	await ui.press('c');
	expect(ui.frame()).toMatch(/Cancel busy0001\?/);
	ui.unmount();
});

test('at 80x24 it takes the Output pane’s place and fits; with no schedules it says how to make one', async () => {
	const ui = await renderDashboard({source: scheduledFleet(), columns: 80, rows: 24});
	await ui.press('s');
	const lines = ui.frame().split('\n');
	expect(lines.length).toBeLessThanOrEqual(23);
	for (const row of lines) expect([...row].length).toBeLessThanOrEqual(80);
	expect(ui.frame()).not.toMatch(/Output busy0001/);
	expect(line(ui.frame(), 'nightly1')).toMatch(/1h00m ago failed$/);
	await ui.press(keys.tab);
	expect(ui.frame()).toMatch(/▶ Queue/);
	// The place keeps the pane focused last, so the schedules stay in sight while a list has the focus.
	expect(ui.frame()).toMatch(/ Schedules 2 active/);
	const empty = await renderDashboard({source: busyFleet(), columns: 80, rows: 24, theme: PLAIN_THEME});
	await empty.press('s');
	expect(empty.frame()).toContain('No schedules. Make one with: ccfleet schedule create');
	expect(empty.rawFrame()).not.toContain('\u001B');
});
