import {afterEach, expect, test} from 'vitest';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

// The dashboard of host alpha on a fleet shared with beta: beta's workers have their terminals and logs on beta.
function sharedFleet(): FakeFleetSource {
	const source = new FakeFleetSource([
		makeTask({id: 'onbeta01', status: 'running', workerState: 'busy', host: 'beta', prompt: 'Port the parser'}),
		makeTask({id: 'alpha001', status: 'running', workerState: 'busy', host: 'alpha', prompt: 'Fix the flaky test'}),
		makeTask({id: 'ranbeta1', status: 'completed', host: 'beta', prompt: 'Summarise the design'}),
		makeTask({id: 'pinhost1', status: 'queued', queuePosition: 1, pin: {host: 'gamma'}, prompt: 'Only on gamma'}),
		makeTask({id: 'pinlabl1', status: 'queued', queuePosition: 2, pin: {label: 'tpu'}, prompt: 'Needs a TPU'}),
	]);
	source.fleetOverrides = {host: 'alpha'};
	source.outputs.set('alpha001', {lines: ['alpha is working'], live: true});
	source.outputs.set('onbeta01', {lines: [], live: false});
	source.outputs.set('ranbeta1', {lines: [], live: false});
	return source;
}

const outputOf = (frame: string) => frame.slice(frame.indexOf('Output'));
/** The words of `text` in order in the frame, wherever the pane wrapped them (it may share its rows with another pane). */
const inOrder = (text: string) =>
	new RegExp(
		text
			.split(' ')
			.map(word => word.replace(/[.()]/g, '\\$&'))
			.join('[\\s\\S]*?'),
	);

async function select(ui: Awaited<ReturnType<typeof renderDashboard>>, id: string): Promise<void> {
	for (let i = 0; i < 6 && ui.store.getState().selection.workers !== id; i++) await ui.press('j');
	expect(ui.store.getState().selection.workers).toBe(id);
	await ui.refresh();
}

test.each([
	[80, 24],
	[120, 40],
])('at %ix%i the header names this host, and a pinned host and a pinned label look different in the queue', async (columns, rows) => {
	const ui = await renderDashboard({source: sharedFleet(), columns, rows});
	const frame = ui.frame();
	expect(frame.split('\n')[0]).toMatch(/^ccfleet on alpha {2}/);
	expect(frame).toContain('→gamma Only on');
	expect(frame).toContain('→[tpu] Needs');
	for (const row of frame.split('\n')) expect([...row].length).toBeLessThanOrEqual(columns);
	ui.unmount();
});

test('one host: the header is the name alone', async () => {
	const source = sharedFleet();
	source.fleetOverrides = {};
	const ui = await renderDashboard({source, columns: 120, rows: 40});
	expect(ui.frame().split('\n')[0]).toMatch(/^ccfleet {2}/);
	ui.unmount();
});

test.each([
	[80, 24],
	[120, 40],
])("at %ix%i the Output pane of another host's task says where its log is, wrapped whole", async (columns, rows) => {
	const ui = await renderDashboard({source: sharedFleet(), columns, rows});
	await select(ui, 'onbeta01');
	expect(outputOf(ui.frame())).toMatch(inOrder('Task onbeta01 runs on host beta; its log is there (ccfleet logs onbeta01 on beta).'));
	expect(ui.frame()).not.toContain('no output yet');
	await select(ui, 'ranbeta1');
	expect(outputOf(ui.frame())).toMatch(inOrder('Task ranbeta1 ran on host beta; its log is there (ccfleet logs ranbeta1 on beta).'));
	for (const row of ui.frame().split('\n')) expect([...row].length).toBeLessThanOrEqual(columns);
	ui.unmount();
});

test("a on another host's worker says to attach there, and hands over only this host's", async () => {
	const attached: string[] = [];
	const ui = await renderDashboard({source: sharedFleet(), columns: 80, rows: 24, onAttach: id => attached.push(id)});
	await select(ui, 'onbeta01');
	await ui.press('a');
	expect(attached).toEqual([]);
	expect(ui.frame()).toContain('onbeta01 runs on host beta: ssh beta, then ccfleet attach onbeta01');
	await select(ui, 'alpha001');
	await ui.press('a');
	expect(attached).toEqual(['alpha001']);
	ui.unmount();
});

test("q asks about this host's workers only, and s stops only those: beta's go on there", async () => {
	const source = sharedFleet();
	const ui = await renderDashboard({source, columns: 80, rows: 24});
	await ui.press('q');
	expect(ui.frame()).toContain('1 worker is running.');
	await ui.press('s');
	expect(source.calls.filter(call => call.method === 'cancel').map(call => call.args[0])).toEqual(['alpha001']);
	expect(ui.quitChoice()).toBe('stop');
});
