import chalk from 'chalk';
import {afterEach, expect, test} from 'vitest';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, iso, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

test('shows CPU, memory, workers running of allowed, queued, total cost', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 120});
	const header = ui.frame().split('\n')[0]!;
	expect(header).toContain('ccfleet');
	expect(header).toContain('CPU 23%');
	expect(header).toContain('free 6.0G/16G');
	expect(header).toContain('workers 2/4');
	expect(header).toContain('queued 2');
	expect(header).toContain('$1.92');
	ui.unmount();
});

test('says how many workers need input, and which key finds them', async () => {
	const ui = await renderDashboard({source: busyFleet()});
	expect(ui.frame().split('\n')[0]).toContain('! 1 needs input (i)');
	ui.unmount();
});

test('shows the rate-limit back-off while it lasts', async () => {
	const source = new FakeFleetSource([makeTask({id: 'queued01'})]);
	source.fleetOverrides = {backoff: {until: iso(-42_000), reason: 'rate_limit'}};
	const ui = await renderDashboard({source});
	expect(ui.frame().split('\n')[0]).toContain('rate-limited: back-off 42s');
	source.fleetOverrides = {backoff: {until: iso(1000), reason: 'rate_limit'}};
	await ui.refresh();
	expect(ui.frame()).not.toContain('back-off');
	ui.unmount();
});

test('says it is connecting before the first snapshot', async () => {
	const source = new FakeFleetSource();
	let open!: () => void;
	source.snapshotGate = new Promise(resolve => {
		open = resolve;
	});
	const ui = await renderDashboard({source, skipFirstSnapshot: true});
	expect(ui.frame()).toContain('connecting to the core');
	open();
	await ui.refresh();
	expect(ui.frame()).toContain('workers 0/4');
	ui.unmount();
});

const MEMORY_HOLD = '512 MB free above the MEMORY_RESERVE of 1024 MB; a pty worker needs about 250 MB';

/** The busy fleet with no ceiling, its queue held for memory: what a full machine looks like. */
function heldFleet(): FakeFleetSource {
	const source = busyFleet();
	source.admission = {maxWorkers: undefined, roomFor: 0, heldBy: MEMORY_HOLD};
	source.allowed = 2;
	return source;
}

test('says what holds the queue: the whole sentence where it fits, a word where it does not', async () => {
	const wide = await renderDashboard({source: heldFleet(), columns: 220, rows: 50});
	expect(wide.frame().split('\n')[0]).toContain(`held: ${MEMORY_HOLD}`);
	wide.unmount();
	const narrow = await renderDashboard({source: heldFleet(), columns: 80, rows: 24});
	const header = narrow.frame().split('\n')[0]!;
	expect(header).toContain('held: memory');
	expect(header).not.toContain('MEMORY_RESERVE');
	narrow.unmount();
});

test('shows the held reason in the warning colour', async () => {
	// Vitest's stdout is no terminal, so chalk starts with colours off.
	const level = chalk.level;
	chalk.level = 3;
	try {
		const ui = await renderDashboard({source: heldFleet(), columns: 120});
		// Yellow foreground (33), as the back-off and the other warnings.
		expect(ui.rawFrame().split('\n')[0]).toMatch(/\u001B\[33m {2}held: memory/);
		ui.unmount();
	} finally {
		chalk.level = level;
	}
});

test("shows the workers' measured memory against the machine's free and total", async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 120});
	// Two live workers of the fake measure 300 MB each.
	expect(ui.frame().split('\n')[0]).toContain('mem: workers 600M · free 6.0G/16G');
	ui.unmount();
});

test('without a ceiling, says how many run and how many more would fit', async () => {
	const source = busyFleet();
	source.admission = {maxWorkers: undefined, roomFor: 12};
	source.allowed = 14;
	const ui = await renderDashboard({source, columns: 120});
	expect(ui.frame().split('\n')[0]).toContain('workers 2 · room for 12');
	ui.unmount();
});

test('with a ceiling the machine cannot reach, adds the room to running of the ceiling', async () => {
	const source = busyFleet();
	source.admission = {maxWorkers: 8, roomFor: 1};
	source.allowed = 3;
	const ui = await renderDashboard({source, columns: 120});
	expect(ui.frame().split('\n')[0]).toContain('workers 2/8 · room for 1');
	ui.unmount();
});

test.each([80, 100, 120, 200])('at %i columns the header fits on its line and cuts no word', async columns => {
	const ui = await renderDashboard({source: heldFleet(), columns, rows: 30});
	const header = ui.frame().split('\n')[0]!;
	expect([...header.trimEnd()].length).toBeLessThanOrEqual(columns);
	expect(header).not.toContain('…');
	// The news stays whatever the width: who waits for an answer, the workers, and what holds the queue.
	expect(header).toContain('! 1 needs input (i)');
	expect(header).toMatch(/workers 2 · room for 0/);
	expect(header).toMatch(/held: /);
	// Every piece shown is whole: the line is a run of known pieces two spaces apart.
	for (const piece of header.trim().split('  ')) {
		expect(piece).toMatch(/^(ccfleet|! 1 needs input \(i\)|workers 2 · room for 0|queued 2|held: .+|\$1\.92|CPU 23%|mem .+ free|mem: workers .+)$/);
	}
	ui.unmount();
});

test('the rate-limit back-off keeps its place, and a hold that only repeats it is not shown twice', async () => {
	const source = heldFleet();
	source.fleetOverrides = {backoff: {until: iso(-42_000), reason: 'the API said 429'}};
	source.admission = {maxWorkers: undefined, heldBy: 'the API said 429'};
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	const header = ui.frame().split('\n')[0]!;
	expect(header).toContain('rate-limited: back-off 42s');
	expect(header).not.toContain('held:');
	ui.unmount();
});

test('a hold the dashboard does not recognise is cut after a whole word at narrow widths', async () => {
	const source = heldFleet();
	source.admission = {maxWorkers: undefined, heldBy: 'the nightly maintenance window is open until six'};
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	expect(ui.frame().split('\n')[0]).toContain('held: the nightly…');
	ui.unmount();
});

test('the pause between two starts is no hold worth showing: it would only flicker through a burst', async () => {
	const source = heldFleet();
	source.admission = {maxWorkers: undefined, heldBy: 'staggering start-ups'};
	const ui = await renderDashboard({source, columns: 120});
	expect(ui.frame()).not.toContain('held:');
	ui.unmount();
});

test('a spent daily budget is named in three words at 80 columns', async () => {
	const source = heldFleet();
	source.admission = {
		maxWorkers: undefined,
		heldBy: 'the daily budget of $5.00 is spent ($5.10 since midnight); raise it (ccfleet configure --daily-budget, or configure_fleet) or it resets at midnight',
	};
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	expect(ui.frame().split('\n')[0]).toContain('held: daily budget spent');
	ui.unmount();
});
