import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {QuestionView} from '../../source/protocol/tool-results.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// `ccfleet inbox` with real (headless) claude workers: every waiting question, oldest first, with its context;
// answered all alike by a rule, or one with "always, for this project".
describe('ccfleet inbox', () => {
	let sandbox: Sandbox;

	beforeAll(async () => {
		sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CCFLEET_MODE: 'headless'});
		await sandbox.startDaemon();
	});

	afterAll(async () => {
		await sandbox.cleanup();
	});

	const cli = async (args: string[]) => sandbox.cli(args);
	const delegate = async (command: string) => {
		const {stdout, stderr, exitCode} = await cli(['delegate', '--permission-mode', 'default', `Run it [[tool:bash:${command}]]`]);
		expect(exitCode, stderr).toBe(0);
		return stdout.trim().split(/\s+/)[0]!;
	};
	const questions = async () => JSON.parse((await cli(['inbox', '--json'])).stdout) as QuestionView[];
	const statusOf = async (id: string) => (JSON.parse((await cli(['status', id, '--json'])).stdout) as {status: string}).status;

	it('lists every waiting question oldest first, answers all a rule covers at once, and keeps an "always" for the project', async () => {
		const first = await delegate('echo one && npm --version');
		await waitFor('the first question', async () => ((await questions()).length === 1 ? true : undefined), 60_000, 100);
		const second = await delegate('npm --version');
		const third = await delegate('mkdir -p made-by-third');
		const waiting = await waitFor(
			'three questions',
			async () => {
				const list = await questions();
				return list.length === 3 ? list : undefined;
			},
			60_000,
			100,
		).catch(async (error: unknown) => {
			throw new Error(`${String(error)}: ${(await cli(['status'])).stdout} ${JSON.stringify(await questions())}`);
		});
		expect(waiting[0]!.taskId).toBe(first);
		expect(waiting.map(question => question.taskId).sort()).toEqual([first, second, third].sort());

		const listed = await cli(['inbox']);
		expect(listed.exitCode).toBe(0);
		expect(listed.stdout).toContain('3 question(s) waiting, oldest first');
		expect(listed.stdout).toMatch(new RegExp(`1\\. ${first}\\s+waiting \\d+ s\\s+${sandbox.project.replace(/[/\\]/g, '\\$&')}`));
		expect(listed.stdout).toContain('asks: Allow Bash(npm --version)?');
		expect(listed.stdout).toContain("ccfleet inbox approve 'Bash(npm test:*)'");

		// `echo one && npm --version` is covered only if every part is: this rule answers just the second task.
		const answered = await cli(['inbox', 'approve', 'Bash(npm --version)']);
		expect(answered.exitCode, answered.stderr).toBe(0);
		expect(answered.stdout).toContain(`Approved 1 waiting question(s) Bash(npm --version) covers: ${second}`);
		const both = await cli(['inbox', 'approve', 'Bash(echo:*)']);
		expect(both.stdout).toContain('No waiting question is covered by Bash(echo:*)');
		expect(both.exitCode).toBe(1);

		const always = await cli(['respond', third, 'approve', '--always', 'project']);
		expect(always.exitCode, always.stderr).toBe(0);
		expect(always.stdout).toContain('passes without asking from now on, for this project');
		const policy = JSON.parse(readFileSync(path.join(sandbox.home, 'policy.json'), 'utf8')) as {projects: Record<string, {allow: string[]}>};
		expect(policy.projects[sandbox.project]?.allow).toEqual(['Bash(mkdir -p made-by-third)']);
		await waitFor(
			'both answered tasks to complete',
			async () => ((await statusOf(second)) === 'completed' && (await statusOf(third)) === 'completed' ? true : undefined),
			60_000,
			100,
		);
		expect((await questions()).map(question => question.taskId)).toEqual([first]);
		const shown = await cli(['status', third]);
		expect(shown.stdout).toMatch(/answered\s+1: 1 allowed by a person; last: Allow Bash\(mkdir -p made-by-third\)\? allowed/);
		await cli(['respond', first, 'deny', 'not now']);
	}, 180_000);

	it('says what is wrong with a bad rule, a bad --always, and an unknown action', async () => {
		const badRule = await cli(['inbox', 'approve', 'Bash(']);
		expect(badRule.exitCode).toBe(1);
		expect(badRule.stderr).toContain('"Bash(" is not a permission rule. Accepted: a tool name');
		const badAlways = await cli(['inbox', 'approve', 'Bash', '--always', 'forever']);
		expect(badAlways.stderr).toContain('--always is "forever"; use task (this task only) or project');
		const unknown = await cli(['inbox', 'allow']);
		expect(unknown.stderr).toContain('Unknown inbox action "allow". Use: ccfleet inbox');
		const badFlag = await cli(['delegate', '--allow', 'Bash()', 'x']);
		expect(badFlag.exitCode).toBe(1);
		expect(badFlag.stderr).toContain('allow[0]: "Bash()" has empty brackets');
	});
});
