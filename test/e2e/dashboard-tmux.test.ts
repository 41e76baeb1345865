import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {colourEscapes, hasTmux, startTmux, type Tmux} from '../helpers/tmux.js';
import {waitFor} from '../helpers/wait-for.js';

// The real dashboard in a real terminal (tmux), driving real claude workers on the mock API: what a person sees
// and types, end to end. Unit tests cover each key against a fake fleet; this covers the terminal and the wiring.
let sandbox: Sandbox;
const servers: Tmux[] = [];

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3'});
	// The form has no permission-mode field: the core's default makes the form's task ask before running Bash.
	await sandbox.startDaemon({CCFLEET_PERMISSION_MODE: 'default'});
}, 60_000);

afterEach(() => {
	for (const server of servers.splice(0)) server.kill();
});

afterAll(async () => {
	for (const server of servers.splice(0)) server.kill();
	await sandbox?.cleanup();
});

async function status(id: string): Promise<TaskView> {
	return JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;
}

async function delegate(prompt: string): Promise<string> {
	const {stdout} = await sandbox.cli(['delegate', '--json', prompt]);
	return (JSON.parse(stdout) as TaskView).id;
}

function dashboard(options: {columns: number; rows: number; term: string; env?: Record<string, string>}): Tmux {
	const tmux = startTmux({
		name: 'ccfleet-dashboard',
		// Under a shell, as a person runs it: tmux drops what a pane's program prints just before it exits (the
		// parting line about workers left running), and the shell says how the dashboard ended.
		command: ['sh', '-c', '"$0" "$1"; echo "[dashboard exited $?]"; exec sleep 600', process.execPath, binPath],
		columns: options.columns,
		rows: options.rows,
		term: options.term,
		cwd: sandbox.project,
		env: {...sandbox.env, ...options.env},
	});
	servers.push(tmux);
	return tmux;
}

/** q, and l (leave them running) if workers run and it asks. */
async function quit(tmux: Tmux): Promise<void> {
	tmux.press('q');
	await waitFor(
		'the dashboard to exit',
		() => {
			if (tmux.capture().includes('[dashboard exited 0]')) return true;
			if (tmux.capture().includes('Quit?')) tmux.press('l');
			return false;
		},
		10_000,
		200,
	);
}

/** The widest line of a screen, in cells (the dashboard draws only single-width characters). */
function widest(screen: string): number {
	return Math.max(...screen.split('\n').map(line => [...line.trimEnd()].length));
}

describe.skipIf(!hasTmux())('the dashboard in tmux', () => {
	it('creates, answers, attaches to, cancels and leaves workers, as a person would (TERM=xterm-256color)', async () => {
		// Two busy workers from the shell: one to attach to and cancel, one still running when the dashboard quits.
		const busy = await delegate('Attach here [[slow:120000]] [[reply:busy done]]');
		const stays = await delegate('Stay running [[slow:120000]] [[reply:stays done]]');
		const tmux = dashboard({columns: 120, rows: 36, term: 'xterm-256color'});
		await tmux.waitForText(/workers \d\/3/);
		await tmux.waitForText(busy);
		expect(colourEscapes(tmux.captureWithEscapes()).length).toBeGreaterThan(0);

		// The core pushes its changes: a task delegated from the shell is on the screen well before the dashboard's
		// fallback snapshot (every 5 s) could have brought it.
		const pushed = await delegate('Pushed to the dashboard [[reply:pushed done]]');
		await tmux.waitForText(pushed, {timeoutMs: 1500});
		await sandbox.cli(['cancel', pushed]);

		// A task from the form, whose Bash command needs a yes.
		tmux.press('N');
		await tmux.waitForText('New task');
		tmux.type('From the form [[tool:bash:echo dash-ok > dash.txt]]');
		await tmux.waitForText('From the form [[tool:bash:echo dash-ok > dash.txt]]');
		tmux.press('Enter');
		const created = await tmux.waitForScreen('the new task in the status bar', screen => /([0-9a-z]{8}) is (running|queued)/.test(screen));
		const formTask = /([0-9a-z]{8}) is (running|queued)/.exec(created)![1]!;
		expect((await status(formTask)).prompt).toContain('From the form');

		// i selects the worker that waits; y approves; the command runs in the project.
		await tmux.waitForText('NEEDS INPUT', {timeoutMs: 45_000});
		tmux.press('i');
		await tmux.waitForText(`${formTask} waits for an answer`);
		tmux.press('y');
		await tmux.waitForText(`Approved Bash for ${formTask}`);
		const written = path.join(sandbox.project, 'dash.txt');
		await waitFor('dash.txt from the approved command', () => existsSync(written) && readFileSync(written, 'utf8').trim() === 'dash-ok', 30_000);
		await waitFor('the form task to complete', async () => (await status(formTask)).status === 'completed', 30_000);

		// g: the first row of Workers is the oldest live worker. a hands the terminal to its own claude screen.
		tmux.press('g');
		await tmux.waitForScreen(`${busy} selected`, screen => screen.includes(`› `) && new RegExp(`›.{0,3}${busy}`).test(screen));
		tmux.press('a');
		await tmux.waitForScreen("the worker's own screen", screen => !screen.includes('Workers') && screen.includes('Attach here'));
		tmux.press('C-]');
		await tmux.waitForText(`Detached from ${busy}; it goes on running.`);
		expect((await status(busy)).status).toBe('running');

		// c asks first; y cancels.
		tmux.press('c');
		await tmux.waitForText(`Cancel ${busy}?`);
		tmux.press('y');
		await waitFor('the cancel', async () => (await status(busy)).status === 'cancelled', 20_000);
		await tmux.waitForText(`${busy} is cancelled`);

		// A resize redraws to the new size; at 80x24 every line fits (-J joins what the terminal wrapped).
		tmux.resize(80, 24);
		// Narrow, the Output pane goes below the lists, and the Queue title's rule runs across the whole width.
		const narrow = await tmux.waitForScreen('the 80-column layout', screen => screen.split('\n').some(line => /^. Queue .*─$/.test(line) && [...line].length === 80));
		expect(tmux.pane()).toMatchObject({columns: 80, rows: 24});
		expect(widest(tmux.capture({join: true}))).toBeLessThanOrEqual(80);
		expect(narrow.split('\n')[0]).toMatch(/workers \d\/3/);
		tmux.resize(120, 36);
		// Wide again, Output stands beside the lists: both titles on one line.
		await tmux.waitForScreen('the wide layout again', screen => screen.split('\n').some(line => /^. Queue .*─+ . Output /.test(line)));

		// q asks about the running worker; l leaves it running in the core, and the dashboard's process ends.
		tmux.press('q');
		await tmux.waitForText('Quit?');
		tmux.press('l');
		const after = await tmux.waitForText('[dashboard exited', {timeoutMs: 10_000});
		expect(after).toContain('[dashboard exited 0]');
		expect(after).toContain('ccfleet: 1 worker left running in the background core');
		const core = sandbox.corePid();
		expect(core).toBeDefined();
		expect(() => process.kill(core!, 0)).not.toThrow();
		expect((await status(stays)).status).toBe('running');
		await sandbox.cli(['cancel', stays]);
	}, 120_000);

	it('NO_COLOR gives a screen without colour escapes (TERM=screen-256color), and colour without it', async () => {
		const plain = dashboard({columns: 80, rows: 24, term: 'screen-256color', env: {NO_COLOR: '1'}});
		const coloured = dashboard({columns: 80, rows: 24, term: 'screen-256color'});
		for (const tmux of [plain, coloured]) await tmux.waitForText(/workers \d\/3/);
		// One more snapshot, so the captured frame is a settled one and not the first.
		for (const tmux of [plain, coloured]) await tmux.waitForText('Workers');
		const plainScreen = plain.captureWithEscapes();
		expect(colourEscapes(plainScreen)).toEqual([]);
		expect(plainScreen).not.toMatch(/\u001B\[[\d;]*7m/);
		expect(colourEscapes(coloured.captureWithEscapes()).length).toBeGreaterThan(0);
		expect(widest(plain.capture({join: true}))).toBeLessThanOrEqual(80);
		for (const tmux of [plain, coloured]) await quit(tmux);
	}, 60_000);
});
