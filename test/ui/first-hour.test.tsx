import {afterEach, expect, test} from 'vitest';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet, FakeFleetSource, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const DEMO_BANNER = 'DEMO — mock API, nothing leaves this machine';

test('the header keeps the name ccfleet at every width and leaves a piece out rather than cut a word', async () => {
	for (const columns of [40, 60, 80, 120]) {
		const ui = await renderDashboard({source: busyFleet(), columns, rows: 24});
		ui.store.setState({banner: DEMO_BANNER});
		await ui.refresh();
		const header = ui.frame().split('\n')[0]!;
		expect(header.startsWith('ccfleet  '), header).toBe(true);
		expect(header, header).not.toContain('…');
		expect([...header.trimEnd()].length).toBeLessThanOrEqual(columns);
		// The banner is whole, or (only when it cannot fit) its first word.
		expect(header.includes(DEMO_BANNER) || header.startsWith('ccfleet  DEMO  ') || header.trimEnd() === 'ccfleet  DEMO', header).toBe(true);
		ui.unmount();
	}
});

test('the details offer only the keys that apply: answer a question, cancel what runs, retry or resume what ended', async () => {
	const source = new FakeFleetSource([
		makeTask({id: 'fail0001', status: 'failed', failureReason: 'exit 1'}),
		makeTask({id: 'busy0001', status: 'running', workerState: 'busy'}),
		makeTask({id: 'asks0001', status: 'needs_input', workerState: 'needs_input', question: {toolName: 'Bash', toolInput: {}, question: 'Allow Bash(ls)?'}}),
	]);
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	const footerOf = async (id: string) => {
		await ui.press('g');
		for (let presses = 0; presses < 5 && !new RegExp(`›.{0,3}${id}`).test(ui.frame()); presses++) await ui.press('j');
		await ui.press(keys.enter);
		const lines = ui.frame().split('\n');
		await ui.press(keys.escape);
		return lines.at(-2)!;
	};
	const failed = await footerOf('fail0001');
	expect(failed).toContain('r retry · R resume');
	expect(failed).not.toContain('approve');
	expect(failed).not.toContain('cancel');
	const running = await footerOf('busy0001');
	expect(running).toContain('c cancel');
	expect(running).not.toContain('approve');
	const asking = await footerOf('asks0001');
	expect(asking).toContain('y approve · n deny · c cancel');
	ui.unmount();
});

test('times in the details are the local clock, not UTC ISO', async () => {
	const source = new FakeFleetSource([makeTask({id: 'done0001', status: 'completed'})]);
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	await ui.press(keys.enter);
	const created = ui
		.frame()
		.split('\n')
		.find(line => line.startsWith('created'))!;
	const at = new Date(source.tasks[0]!.createdAt);
	const two = (n: number) => String(n).padStart(2, '0');
	expect(created).toContain(`${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`);
	expect(created).not.toMatch(/T\d\d:\d\d:\d\d/);
	ui.unmount();
});
