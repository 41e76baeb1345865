import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {hasTmux, startTmux, type Tmux} from '../helpers/tmux.js';

// What a newcomer sees first, in a real terminal with real claude workers: each worker's row says what it does at
// 120 and at 80 columns, the queue's columns line up, and attaching at the size the worker already has draws its
// whole screen at once (before, only fragments until Ctrl-L).
let sandbox: Sandbox;
const servers: Tmux[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	await sandbox.startDaemon();
	const delegate = async (args: string[]) => (JSON.parse((await sandbox.cli(['delegate', '--json', ...args])).stdout) as TaskView).id;
	ids.refactor = await delegate(['Refactor the scheduler so that missed runs are caught up [[slow:120000]]']);
	ids.review = await delegate(['Review the parser for dead code [[slow:120000]]']);
	// Two workers at most: these wait, one in line (#1) and one for its dependency (wait).
	ids.next = await delegate(['Write the changelog [[reply:ok]]']);
	ids.after = await delegate(['--depends-on', ids.refactor, 'Release it [[reply:ok]]']);
}, 60_000);

afterEach(() => {
	for (const server of servers.splice(0)) server.kill();
});

afterAll(async () => {
	for (const server of servers.splice(0)) server.kill();
	await sandbox?.cleanup();
});

function dashboard(columns: number, rows: number): Tmux {
	const tmux = startTmux({
		name: 'ccfleet-layout',
		command: [process.execPath, binPath],
		columns,
		rows,
		term: 'xterm-256color',
		cwd: sandbox.project,
		env: sandbox.env,
	});
	servers.push(tmux);
	return tmux;
}

const rowOf = (screen: string, id: string, state: string) => screen.split('\n').find(line => line.includes(`${id} ${state}`)) ?? '';

/** Each queue row's id starts in the same column, whatever its place label (#1, wait, park). */
function queueIdColumns(screen: string): number[] {
	return [ids.next!, ids.after!].map(id => {
		const line = screen.split('\n').find(candidate => /(#\d+|wait|park) +P\d /.test(candidate) && candidate.includes(id)) ?? '';
		return line.indexOf(id);
	});
}

async function expectLayout(tmux: Tmux, columns: number) {
	const screen = await tmux.waitForScreen(
		`both workers busy and the queue at ${columns} columns`,
		text => rowOf(text, ids.refactor!, 'busy') !== '' && rowOf(text, ids.review!, 'busy') !== '' && text.includes(ids.after!),
		{timeoutMs: 60_000},
	);
	expect(rowOf(screen, ids.refactor!, 'busy')).toContain('Refactor the scheduler so');
	expect(rowOf(screen, ids.review!, 'busy')).toContain('Review the parser for dead');
	const [next, after] = queueIdColumns(screen);
	expect(next).toBeGreaterThan(0);
	expect(after).toBe(next);
	for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(columns);
}

describe.skipIf(!hasTmux())('the dashboard layout in tmux', () => {
	it('at 120x40 and 80x24 rows show what each worker does and the queue is aligned; attach draws the whole screen', async () => {
		const tmux = dashboard(120, 40);
		await expectLayout(tmux, 120);

		// The worker runs at 120x40 already: attaching at that size used to draw only fragments.
		tmux.press('g');
		await tmux.waitForScreen('the first worker selected', screen => new RegExp(`›.{0,3}${ids.refactor!} busy`).test(screen));
		tmux.press('a');
		const attached = await tmux.waitForScreen(
			"the worker's whole screen",
			screen => screen.includes('Claude Code v') && screen.includes('Refactor the scheduler') && /^─{100,}$/m.test(screen) && /^❯/m.test(screen),
			{timeoutMs: 15_000},
		);
		expect(attached).not.toContain('Workers');
		tmux.press('C-]');
		await tmux.waitForText(`Detached from ${ids.refactor!}`);

		tmux.resize(80, 24);
		await tmux.waitForScreen('the 80-column layout', screen => screen.split('\n').some(line => /^. Queue /.test(line) && [...line].length === 80));
		await expectLayout(tmux, 80);
	}, 150_000);
});
