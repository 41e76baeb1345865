import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// What a person (or a script, or Claude Code's Bash tool) reads from the CLI, with the real daemon and the real claude
// on the mock API. Every message is asserted whole, or close to it, so that a regression shows.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
});

afterAll(async () => {
	await sandbox?.cleanup();
});

const status = async (id: string) => JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;

describe('without a core', () => {
	it('`ccfleet` with no terminal says the dashboard needs one and names the commands, without starting a core', async () => {
		const {stdout, stderr, exitCode} = await sandbox.cli([]);
		expect(exitCode).toBe(1);
		expect(stdout).toBe('');
		expect(stderr).toBe(
			[
				'ccfleet: the dashboard needs a terminal, and this one has none (stdin or stdout is not a TTY). Without one, use the commands:',
				'  ccfleet delegate "<prompt>"   hand a task to a worker (prints its id)',
				'  ccfleet status [id]           all tasks, or one in full',
				'  ccfleet wait <id>             wait until it ends and print its result',
				'  ccfleet logs <id>             what a worker did',
				'  ccfleet --daemon              run the core without a dashboard; ccfleet stop stops it',
				'ccfleet --help lists every command.',
			].join('\n'),
		);
		expect(sandbox.corePid()).toBeUndefined();
	});

	it('`ccfleet stop` says no core runs, and exits 0', async () => {
		const {stdout, exitCode} = await sandbox.cli(['stop']);
		expect(exitCode).toBe(0);
		expect(stdout).toBe(`ccfleet: no core is running for ${sandbox.home}; nothing to stop.`);
	});

	it('refuses an unknown flag in one line that says where the flags are', async () => {
		// Independent commands: they run at once rather than one start-up after another.
		const [delegated, statusFlag, bare, logs] = await Promise.all([
			sandbox.cli(['delegate', 'x', '--bogus-flag']),
			sandbox.cli(['status', '-x']),
			sandbox.cli(['--bogus']),
			sandbox.cli(['logs', '--tail', '5', '--', '--not-a-flag']),
		]);
		expect(delegated).toMatchObject({exitCode: 2, stdout: '', stderr: 'ccfleet: unknown flag --bogus-flag; see ccfleet delegate --help'});
		expect(statusFlag.stderr).toBe('ccfleet: unknown flag -x; see ccfleet status --help');
		expect(bare.stderr).toBe('ccfleet: unknown flag --bogus; see ccfleet --help');
		// A flag's value that looks like a flag is its value, and words after -- are not flags.
		expect(logs.stderr).not.toContain('unknown flag');
	});

	it('reads a bad choice the same way for every task flag', async () => {
		const cases: Array<[string[], string]> = [
			[['--priority', 'P9'], '--priority P9 is not one of P0, P1, P2.'],
			[['--mode', 'turbo'], '--mode turbo is not one of pty, headless.'],
			[['--permission-mode', 'x'], '--permission-mode x is not one of default, acceptEdits, plan, auto, dontAsk, bypassPermissions.'],
		];
		const results = await Promise.all(cases.map(async ([flags]) => sandbox.cli(['delegate', 'x', ...flags])));
		for (const [index, [, message]] of cases.entries()) {
			expect(results[index]!.exitCode).toBe(1);
			expect(results[index]!.stderr).toBe(`ccfleet: ${message}`);
		}
	});

	it('shows the tagline once in the main help and a line of its own in a command help', async () => {
		const main = (await sandbox.cli(['--help'])).stdout;
		expect(main.match(/fleet of background Claude Code workers/gi)).toHaveLength(1);
		const delegate = (await sandbox.cli(['delegate', '--help'])).stdout;
		expect(delegate.trimStart().startsWith('ccfleet delegate — hand a task to a background Claude Code worker')).toBe(true);
		expect(delegate).not.toMatch(/fleet of background Claude Code workers/i);
	});
});

describe('with a core', () => {
	it('`ccfleet delegate` prints only the id on stdout, so ID=$(ccfleet delegate …) works; --wait prints the id first', async () => {
		const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', 'Say it [[reply:said]]']);
		expect(exitCode, stderr).toBe(0);
		expect(stdout).toMatch(/^\w+$/);
		expect(stderr).toMatch(new RegExp(`^ccfleet: task ${stdout} is (queued|running)[^\\n]*\\. Follow it with: ccfleet wait ${stdout}$`, 'm'));
		expect((await status(stdout)).prompt).toBe('Say it [[reply:said]]');

		const waited = await sandbox.cli(['delegate', '--wait', 'Answer [[reply:the answer]]']);
		expect(waited.exitCode, waited.stderr).toBe(0);
		const [id, ...result] = waited.stdout.split('\n');
		expect(id).toMatch(/^\w+$/);
		expect(result.join('\n')).toBe('the answer');
	}, 90_000);

	it('`ccfleet attach` of an unknown or an ended task says so, without "attached" or a stack trace', async () => {
		const unknown = await sandbox.cli(['attach', 'nope1234']);
		expect(unknown.exitCode).toBe(1);
		expect(unknown.stderr).toBe('ccfleet: No task with id "nope1234". List the known tasks with `ccfleet status` (or the task_status tool without an id).');
		const id = (await sandbox.cli(['delegate', '--wait', 'Done soon [[reply:done]]'])).stdout.split('\n')[0]!;
		const ended = await sandbox.cli(['attach', id]);
		expect(ended.exitCode).toBe(1);
		expect(ended.stderr).toBe(`ccfleet: Task ${id} has ended (completed); there is no worker to attach to. Read what it did with \`ccfleet logs ${id}\`.`);
	}, 90_000);

	it('`ccfleet stop` stops the core, saying which running tasks resume on the next start; they do', async () => {
		// Held by its first request only: the stop comes while the API holds that request, with room to spare on a busy
		// machine, and resumed after the stop the conversation answers at once.
		const prompt = 'Take a while [[slow:20000:first]] [[reply:resumed and done]]';
		const id = (await sandbox.cli(['delegate', prompt])).stdout;
		await waitFor('the task to run', async () => (await status(id)).status === 'running', 60_000);
		await waitFor('its first request to reach the API', () => sandbox.mock.mainRequests().some(request => JSON.stringify(request.body).includes('Take a while')), 60_000);
		const pid = sandbox.corePid();
		expect(pid).toBeGreaterThan(0);

		const stopped = await sandbox.cli(['stop']);
		expect(stopped.exitCode, stopped.stderr).toBe(0);
		expect(stopped.stdout).toBe(
			`ccfleet: stopped (pid ${pid}). 1 running task will resume on the next start (ccfleet, or any ccfleet command): ${id} (${prompt.slice(0, 40)}…).`,
		);
		expect(sandbox.corePid()).toBeUndefined();
		// Gone, or at most a zombie no one reaps (the container's init may not): not a live core.
		expect(isProcessAlive({pid: pid!})).toBe(false);

		const resumed = await sandbox.cli(['wait', id]);
		expect(resumed.stdout).toBe(`${id} completed: resumed and done`);
	}, 120_000);

	it('`ccfleet stop --cancel-running` cancels the running tasks first, and says so', async () => {
		const prompt = 'Never finishes [[slow:60000]] [[reply:too late]]';
		const id = (await sandbox.cli(['delegate', prompt])).stdout;
		await waitFor('the task to run', async () => (await status(id)).status === 'running', 60_000);
		const pid = sandbox.corePid();
		const stopped = await sandbox.cli(['stop', '--cancel-running']);
		expect(stopped.exitCode, stopped.stderr).toBe(0);
		expect(stopped.stdout).toBe(`ccfleet: stopped (pid ${pid}). 1 running task cancelled: ${id} (${prompt.slice(0, 40)}…).`);
		expect(sandbox.corePid()).toBeUndefined();
		expect(await status(id)).toMatchObject({status: 'cancelled', failureReason: expect.stringContaining('ccfleet stop --cancel-running')});
	}, 120_000);
});
