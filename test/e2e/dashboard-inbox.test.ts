import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {QuestionView} from '../../source/protocol/tool-results.js';
import type {TaskView} from '../../source/protocol/views.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {hasTmux, startTmux, type Tmux} from '../helpers/tmux.js';
import {waitFor} from '../helpers/wait-for.js';

// The dashboard's inbox in a real terminal, over real claude workers on the mock API: three workers ask for Bash
// (two `npm test`, one curl); I lists them oldest first; `a` on an npm test row marks both, `y` answers both at
// once, and both tasks go on and complete while the curl one still waits; A answers it "always, for this project".
// The layout is read at 80x24 and 120x40.
const CURL = 'curl -s --max-time 1 http://127.0.0.1:9/ping || echo curl-done';
let sandbox: Sandbox;
let tmux: Tmux | undefined;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CCFLEET_MODE: 'headless'});
	writeFileSync(path.join(sandbox.project, 'package.json'), JSON.stringify({name: 'p', private: true, scripts: {test: 'echo tests-passed-here'}}));
	await sandbox.startDaemon();
}, 60_000);

afterAll(async () => {
	tmux?.kill();
	await sandbox?.cleanup();
});

async function status(id: string): Promise<TaskView> {
	return JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;
}

async function questions(): Promise<QuestionView[]> {
	return JSON.parse((await sandbox.cli(['inbox', '--json'])).stdout) as QuestionView[];
}

/** Delegates a task whose worker asks before running `command`, and waits until its question is in the inbox. */
async function asking(command: string): Promise<string> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--json', '--permission-mode', 'default', `Run it [[tool:bash:${command}]]`]);
	expect(exitCode, stderr).toBe(0);
	const {id} = JSON.parse(stdout) as TaskView;
	await waitFor(`${id}'s question in the inbox`, async () => (await questions()).some(question => question.taskId === id), 90_000, 200).catch(async (error: unknown) => {
		const task = await status(id);
		const log = (await sandbox.cli(['logs', id])).stdout;
		throw new Error(`${String(error)}: ${JSON.stringify({status: task.status, answers: task.answers, failureReason: task.failureReason})}\n${log.slice(-1500)}`);
	});
	return id;
}

/** The screen's rows that list a question, top to bottom. */
function questionRows(screen: string): string[] {
	return screen.split('\n').filter(line => /^. \[[ x]\] [0-9a-z]{8} /.test(line));
}

/** What a person checks on the screen: nothing wider than the terminal, the columns aligned, no word cut without `…`. */
function expectTidy(screen: string, columns: number, ids: string[]): void {
	for (const line of screen.split('\n')) expect([...line.trimEnd()].length, line).toBeLessThanOrEqual(columns);
	const rows = questionRows(screen);
	expect(rows.map(row => /[0-9a-z]{8}/.exec(row.slice(6))![0])).toEqual(ids);
	expect(new Set(rows.map(row => row.indexOf('Allow Bash('))).size).toBe(1);
	for (const row of rows) expect(row.trimEnd(), row).toMatch(/(\?|\S…)$/);
	expect(screen).toMatch(/space mark · a (mark )?alike \(\d\)/);
}

describe.skipIf(!hasTmux())('the dashboard inbox in tmux', () => {
	it('lists three waiting questions oldest first and answers the two alike at once with a, y', async () => {
		const first = await asking('npm test');
		const curl = await asking(CURL);
		const second = await asking('npm test');

		tmux = startTmux({
			name: 'ccfleet-inbox',
			command: [process.execPath, binPath],
			columns: 80,
			rows: 24,
			cwd: sandbox.project,
			env: sandbox.env,
		});
		await tmux.waitForText(/workers \d\/3/, {timeoutMs: 30_000});
		tmux.press('I');
		const narrow = await tmux.waitForText('3 waiting, oldest first', {timeoutMs: 15_000});
		expectTidy(narrow, 80, [first, curl, second]);
		// The oldest is selected, and its context (the task's prompt and the worker's last lines) is below the list.
		// At 80 columns a long directory keeps its last name whole: `…/ccfleet-project-…`.
		expect(questionRows(narrow)[0]).toMatch(new RegExp(`^› \\[ \\] ${first} +\\d+(s|m\\d\\ds) +\\S*/${path.basename(sandbox.project)} +Allow Bash\\(npm test\\)\\?$`));
		expect(narrow).toMatch(new RegExp(`Context ${first} · Run it`));

		tmux.resize(120, 40);
		const wide = await tmux.waitForScreen('the inbox at 120 columns', screen => screen.includes('A always: this project') || screen.includes('A always: project'));
		expectTidy(wide, 120, [first, curl, second]);
		expect(questionRows(wide)[1]).toContain('Allow Bash(curl -s --max-time 1 http://127.0.0.1:9/ping');

		tmux.press('a');
		await tmux.waitForText('3 waiting, oldest first · 2 marked');
		const marked = questionRows(tmux.capture());
		expect(marked.map(row => row.slice(2, 5))).toEqual(['[x]', '[ ]', '[x]']);
		tmux.press('y');
		await tmux.waitForText(`Approved 2 questions: ${first}, ${second}.`, {timeoutMs: 15_000});
		await tmux.waitForScreen('only the curl row left', screen => questionRows(screen).length === 1 && questionRows(screen)[0]!.includes(curl), {timeoutMs: 15_000});

		// Over the CLI: both npm test tasks went on and completed; the curl one still waits for its answer.
		for (const id of [first, second]) await waitFor(`${id} to complete`, async () => (await status(id)).status === 'completed', 90_000, 250);
		const done = await Promise.all([first, second].map(status));
		for (const task of done) expect(task.answers?.[0]).toMatchObject({answer: 'allow', by: 'person'});
		expect((await status(curl)).status).toBe('needs_input');
		expect((await questions()).map(question => question.taskId)).toEqual([curl]);
		expect(tmux.capture()).toContain('1 waiting, oldest first');

		// A: approved, always for this project: the rule is kept in the policy file and the curl task goes on too.
		tmux.press('A');
		await tmux.waitForText(`Approved 1 question, always allowed for this project: ${curl}.`, {timeoutMs: 15_000});
		await tmux.waitForText('No question is waiting.');
		await waitFor(`${curl} to complete`, async () => (await status(curl)).status === 'completed', 90_000, 250);
		const policy = JSON.parse(readFileSync(path.join(sandbox.home, 'policy.json'), 'utf8')) as {projects: Record<string, {allow: string[]}>};
		expect(policy.projects[sandbox.project]?.allow).toContain('Bash(curl -s --max-time 1 http://127.0.0.1:9/ping)');

		tmux.press('Escape');
		await tmux.waitForText(/Workers/);
	}, 300_000);
});
