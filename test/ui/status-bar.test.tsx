import {afterEach, expect, test} from 'vitest';
import {STATUS_MESSAGE_MS} from '../../source/ui/store.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, NOW} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const statusLine = (frame: string) => frame.split('\n').at(-1)!;

test('shows the main keys when there is nothing to say, shorter in 80 columns', async () => {
	const wide = await renderDashboard({source: busyFleet(), columns: 120});
	expect(statusLine(wide.frame())).toBe('? help · tab pane · enter details · N new · c cancel · y/n answer · i needs input · / filter · q quit');
	const narrow = await renderDashboard({source: busyFleet(), columns: 80, rows: 24});
	expect(statusLine(narrow.frame())).toBe('? help · tab pane · N new · c cancel · y/n answer · i input · / filter · q quit');
});

test('a message stays for a while, measured in snapshot time, then the keys come back', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	await ui.press('a');
	expect(statusLine(ui.frame())).toContain('Attach from a shell');
	source.takenAt = NOW + STATUS_MESSAGE_MS - 1;
	await ui.refresh();
	expect(statusLine(ui.frame())).toContain('Attach from a shell');
	source.takenAt = NOW + STATUS_MESSAGE_MS;
	await ui.refresh();
	expect(statusLine(ui.frame())).toContain('? help');
});

test('a lost core is said until a snapshot succeeds again; the last snapshot stays on screen', async () => {
	const source = busyFleet();
	const ui = await renderDashboard({source});
	const real = source.snapshot.bind(source);
	source.snapshot = () => Promise.reject(new Error('Not connected'));
	await ui.refresh();
	expect(statusLine(ui.frame())).toBe('Lost the core, reconnecting: Not connected');
	expect(ui.frame()).toContain('busy0001');
	source.snapshot = real;
	await ui.refresh();
	expect(statusLine(ui.frame())).toContain('? help');
});

test('with a filter in force the bar says so and still shows help and quit, at 80 columns too', async () => {
	for (const columns of [80, 120]) {
		const ui = await renderDashboard({source: busyFleet(), columns, rows: 24});
		await ui.press('/');
		for (const char of 'a filter that matches nothing at all') await ui.press(char);
		await ui.press('\r');
		const line = statusLine(ui.frame());
		expect(line).toMatch(/^filter "a filter that match…" · esc clears · /);
		expect(line).toContain('? help');
		expect(line).toMatch(/q quit$/);
		expect([...line].length).toBeLessThanOrEqual(columns);
		ui.unmount();
	}
});
