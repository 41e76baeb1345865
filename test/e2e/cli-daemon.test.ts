import {readFileSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// The CLI as a user runs it: a client of a background daemon it starts itself, running the real claude on the
// mock API.
let sandbox: Sandbox;

beforeAll(async () => {
	// As if ccfleet itself were started from inside a Claude Code session: workers must not inherit its markers.
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CLAUDECODE: '1', CLAUDE_CODE_ENTRYPOINT: 'cli', CLAUDE_CODE_SESSION_ID: 'parent-session'});
});

afterAll(async () => {
	await sandbox.cleanup();
});

/** How long a status poll in a concurrent test pauses between CLI runs. */
const POLL_MS = 250;

async function status(id: string): Promise<TaskView> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['status', id, '--json']);
	if (exitCode !== 0) throw new Error(`status failed: ${stderr}`);
	return JSON.parse(stdout) as TaskView;
}

async function delegate(args: string[], input?: string): Promise<string> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--json', ...args], input === undefined ? {} : {input});
	if (exitCode !== 0) throw new Error(`delegate failed: ${stderr}`);
	return (JSON.parse(stdout) as TaskView).id;
}

describe('ccfleet CLI with a background daemon and the real claude', () => {
	it('starts a daemon when none runs, says so, and completes a task with the mock text as its result', async () => {
		const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--wait', 'Say hello [[reply:Hello through the whole fleet]]']);
		expect(stderr).toContain('started a background daemon');
		expect(exitCode).toBe(0);
		// The task's id first (so that a script can keep it), then its result.
		expect(stdout.trim()).toMatch(/^\w+\nHello through the whole fleet$/);
		expect(sandbox.corePid()).toBeGreaterThan(0);

		const {stdout: table} = await sandbox.cli(['status']);
		expect(table).toMatch(/completed\s+P1/);
		expect(table).toContain('Say hello');
	});

	// Consecutive concurrent tests run together, here in groups of at most three tasks (the ceiling of workers): each test
	// follows tasks of its own, told apart by id or prompt, so a group takes about as long as its longest test. Their
	// status polls pause between CLI runs, which would otherwise take the CPU the workers need.
	it.concurrent('runs a task in headless mode too, with the mode recorded', async ({expect}) => {
		const {stdout, exitCode} = await sandbox.cli(['delegate', '--wait', '--json', '--mode', 'headless', 'Quietly [[reply:headless through the fleet]]']);
		expect(exitCode).toBe(0);
		const task = JSON.parse(stdout) as TaskView;
		expect(task).toMatchObject({status: 'completed', mode: 'headless', result: 'headless through the fleet'});
		expect(task.costUsd).toBeGreaterThan(0);
	});

	it.concurrent("gives a worker its role's instructions in the system prompt", async ({expect}) => {
		const {stdout, exitCode} = await sandbox.cli(['delegate', '--wait', '--role', 'reviewer', 'Review [[reply:reviewed as a reviewer]]']);
		expect(exitCode).toBe(0);
		expect(stdout.trim().split('\n').at(-1)).toBe('reviewed as a reviewer');
		const request = sandbox.mock.mainRequests().find(entry => JSON.stringify(entry.body).includes('reviewed as a reviewer'));
		expect(JSON.stringify((request!.body as {system?: unknown}).system)).toContain('You are the reviewer.');
	});

	it.concurrent('takes the prompt from stdin too, and a prompt far beyond one argv string arrives whole', async ({expect}) => {
		const diff = Array.from({length: 4000}, (_, i) => `+ line ${i} of a very large diff`).join('\n');
		const id = await delegate(['Review this [[reply:reviewed]]'], `${diff}\nEND-OF-DIFF-MARKER`);
		const task = await waitFor(
			'completion',
			async () => {
				const view = await status(id);
				return view.status === 'completed' ? view : undefined;
			},
			60_000,
			POLL_MS,
		);
		expect(task.result).toBe('reviewed');
		const sent = sandbox.mock.mainRequests().map(request => JSON.stringify(request.body));
		expect(sent.some(body => body.includes('Review this') && body.includes('line 3999 of a very large diff') && body.includes('END-OF-DIFF-MARKER'))).toBe(true);
	});

	it('prints what a worker did with logs', async () => {
		const id = await delegate(['--permission-mode', 'acceptEdits', 'Tell me [[reply:the log line]]']);
		const {stdout, exitCode} = await sandbox.cli(['logs', id, '--follow']);
		expect(exitCode).toBe(0);
		expect(stdout).toContain('› Tell me');
		expect(stdout).toContain('the log line');
		expect(stdout).toContain(`task ${id} completed`);
		const tail = await sandbox.cli(['logs', id, '--tail', '1']);
		expect(tail.stdout.trim()).toBe('the log line');
	});

	it.concurrent('shows needs_input with the question while a worker waits for permission, and cancel ends its processes', async ({expect}) => {
		const id = await delegate(['--permission-mode', 'default', 'Write it [[tool:bash]]']);
		const waiting = await waitFor(
			'needs_input',
			async () => {
				const view = await status(id);
				return view.status === 'needs_input' ? view : undefined;
			},
			60_000,
		);
		expect(waiting.question).toMatchObject({toolName: 'Bash', toolInput: {command: 'echo hello-from-tool > out.txt && cat out.txt'}});
		const {stdout: human} = await sandbox.cli(['status', id]);
		expect(human).toContain('NEEDS INPUT');
		expect(human).toContain('Allow Bash(echo hello-from-tool');
		expect(waiting.pid).toBeGreaterThan(0);
		expect(processesOfTask(id)).toContain(waiting.pid);
		const workerEnv = readFileSync(`/proc/${waiting.pid}/environ`, 'latin1').split('\0');
		expect(workerEnv.filter(entry => /^(CLAUDECODE|CLAUDE_CODE_ENTRYPOINT|CLAUDE_CODE_SESSION_ID)=/.test(entry))).toEqual([]);
		expect(workerEnv).toContain(`CCFLEET_TASK_ID=${id}`);

		const {stdout, exitCode} = await sandbox.cli(['cancel', id, 'not', 'needed']);
		expect(exitCode).toBe(0);
		expect(stdout).toContain('cancelled');
		const cancelled = await status(id);
		expect(cancelled).toMatchObject({status: 'cancelled', cancelledBy: 'cli', failureReason: 'not needed'});
		expect(processesOfTask(id)).toEqual([]);
	});

	it.concurrent('fails a task that runs past its timeout, with that reason', async ({expect}) => {
		const id = await delegate(['--timeout', '4s', 'Think slowly [[slow:30000]]']);
		const failed = await waitFor(
			'the timeout',
			async () => {
				const view = await status(id);
				return view.status === 'failed' ? view : undefined;
			},
			60_000,
			POLL_MS,
		);
		expect(failed.failureReason).toMatch(/^Timed out after 4 s/);
		expect(processesOfTask(id)).toEqual([]);
	});

	it.concurrent('fails a task whose claude is killed, never completing it', async ({expect}) => {
		const id = await delegate(['Think slowly [[slow:30000]]']);
		const running = await waitFor(
			'a running worker',
			async () => {
				const view = await status(id);
				return view.workerState === 'busy' && view.pid ? view : undefined;
			},
			60_000,
			POLL_MS,
		);
		process.kill(running.pid!, 'SIGKILL');
		const failed = await waitFor(
			'the failure',
			async () => {
				const view = await status(id);
				return view.status === 'failed' ? view : undefined;
			},
			30_000,
			POLL_MS,
		);
		expect(failed.exitCode).toBeNull();
		expect(failed.failureReason).toBe('claude was killed by SIGKILL before it finished.');
	});

	it.concurrent('gives clear errors for bad input and unknown ids, and the daemon stays up', async ({expect}) => {
		// Each is refused on its own: they run at once rather than one start-up after another.
		const [unknown, badPriority, noPrompt, badCwd, badTimeout, badEnv, help] = await Promise.all([
			sandbox.cli(['status', 'nope1234']),
			sandbox.cli(['delegate', '--priority', 'P7', 'x']),
			sandbox.cli(['delegate']),
			sandbox.cli(['delegate', '--cwd', '/definitely/not/here', 'x']),
			sandbox.cli(['delegate', '--timeout', 'soon', 'x']),
			sandbox.cli(['status'], {env: {TASK_TIMEOUT: 'forever'}}),
			sandbox.cli(['logs', '--help']),
		]);
		expect(unknown.exitCode).toBe(1);
		expect(unknown.stderr).toContain('No task with id "nope1234"');
		expect(badPriority.stderr).toContain('--priority P7 is not one of P0, P1, P2');
		expect(noPrompt.stderr).toContain('No prompt given');
		expect(badCwd.stderr).toContain('is not an existing directory');
		expect(badTimeout.stderr).toContain('--timeout is "soon"');
		expect(badEnv.stderr).toContain('TASK_TIMEOUT is "forever"');
		expect(help.stdout).toContain('--follow');
		const ok = await sandbox.cli(['status']);
		expect(ok.exitCode).toBe(0);
	});

	it('answers a waiting worker, waits, retries and resumes from the command line', async () => {
		const id = await delegate(['--permission-mode', 'default', 'Write it [[tool:bash:echo cli-approved > cli.txt]]']);
		await waitFor('needs_input', async () => (await status(id)).status === 'needs_input', 60_000);
		const answered = await sandbox.cli(['respond', id, 'approve']);
		expect(answered.stdout).toContain(`Approved Allow Bash(echo cli-approved > cli.txt)? for task ${id}`);
		const waited = await sandbox.cli(['wait', id]);
		expect(waited.exitCode).toBe(0);
		expect(waited.stdout).toContain(`${id} completed: Tool finished. Done.`);

		const retried = await sandbox.cli(['retry', id, '--json']);
		const retry = JSON.parse(retried.stdout) as TaskView;
		expect(retry.retryOf).toBe(id);
		const resumed = await sandbox.cli(['resume', id, 'And now? [[reply:resumed from the CLI]]']);
		expect(resumed.stdout).toContain(`continues ${id}; resumes its conversation`);
		const resumedId = resumed.stdout.split(' ')[0]!;
		// The retry asks for the same permission again; this time it is denied.
		await waitFor('the retry to ask', async () => (await status(retry.id)).status === 'needs_input', 60_000);
		await sandbox.cli(['respond', retry.id, 'deny', 'not twice']);
		const both = await sandbox.cli(['wait', retry.id, resumedId]);
		expect(both.stdout).toContain(`${retry.id} completed: Tool was refused.`);
		expect(both.stdout).toContain(`${resumedId} completed: resumed from the CLI`);
		const bad = await sandbox.cli(['respond', id, 'maybe']);
		expect(bad.stderr).toContain('Say how to respond');
	}, 120_000);
});
