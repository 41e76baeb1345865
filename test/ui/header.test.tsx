import {afterEach, expect, test} from 'vitest';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, iso, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

test('shows CPU, memory, workers running of allowed, queued, total cost', async () => {
	const ui = await renderDashboard({source: busyFleet(), columns: 120});
	const header = ui.frame().split('\n')[0]!;
	expect(header).toContain('ccfleet');
	expect(header).toContain('CPU 23%');
	expect(header).toContain('mem 6.0G/16G free');
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
