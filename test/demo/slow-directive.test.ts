import {afterAll, beforeAll, describe, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// [[slow:MS]] is what keeps a real worker busy in many tests and in the demo. Without pings claude dropped the silent
// stream after a few seconds and asked again, so a "slow" task really was a quick one that retried.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox();
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function runSlow(mode: 'pty' | 'headless', marker: string): Promise<TaskView> {
	const {stdout, stderr, exitCode} = await sandbox.cli([
		'delegate',
		'--wait',
		'--json',
		'--mode',
		mode,
		`Think slowly ${marker} [[slow:15000]] [[reply:slow ${marker} done]]`,
	]);
	if (exitCode !== 0) throw new Error(`delegate failed (${exitCode}): ${stderr}${stdout}`);
	return JSON.parse(stdout) as TaskView;
}

// Each test waits on real seconds (the slow stream, the tool's sleep) in tasks of its own, told apart by their prompts: they
// run side by side in the one daemon, so the file takes about as long as its longest test rather than their sum.
describe.concurrent('the mock keeps a slow stream alive', () => {
	it('a real worker with [[slow:15000]] stays busy at least 15 s and makes one request', async ({expect}) => {
		const [pty, headless] = await Promise.all([runSlow('pty', 'alpha'), runSlow('headless', 'beta')]);
		for (const [task, marker] of [
			[pty, 'alpha'],
			[headless, 'beta'],
		] as const) {
			expect(task.status).toBe('completed');
			expect(Date.parse(task.endedAt!) - Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(15_000);
			const requests = sandbox.mock.mainRequests().filter(request => JSON.stringify(request.body).includes(`Think slowly ${marker}`));
			expect(requests).toHaveLength(1);
		}
	}, 120_000);
});

describe.concurrent('a running worker says what it does now and what it has cost so far', () => {
	it.for<'pty' | 'headless'>(['pty', 'headless'])(
		'%s: the tool it runs and its argument, and cost and tokens before the task ends',
		{timeout: 120_000},
		async (mode, {expect}) => {
			const {stdout} = await sandbox.cli([
				'delegate',
				'--json',
				'--mode',
				mode,
				'--allow',
				'Bash(sleep:*)',
				`Wait a little in ${mode} [[tool:bash:sleep 8]] [[slow:4000]]`,
			]);
			const id = (JSON.parse(stdout) as TaskView).id;
			const busy = await waitFor(
				'the worker running its tool',
				async () => {
					const {stdout: view} = await sandbox.cli(['status', id, '--json']);
					const task = JSON.parse(view) as TaskView;
					if (task.status === 'completed' || task.status === 'failed') throw new Error(`it ended (${task.status}) before its tool was seen`);
					return task.activity ? task : undefined;
				},
				60_000,
				300,
			);
			expect(busy.activity).toEqual({tool: 'Bash', detail: 'sleep 8'});
			// The turn so far is counted before the task ends: a headless worker from each message, a pty worker from the
			// transcript at its tool hooks (the reply after the tool is slow, so the run lasts past them).
			const counted = await waitFor(
				'the cost so far',
				async () => {
					const task = JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;
					return task.status === 'running' && task.costUsd > 0 && task.tokens.input > 0 ? task : undefined;
				},
				20_000,
				300,
			);
			expect(counted.status).toBe('running');
			const done = await waitFor(
				'the task to end',
				async () => {
					const task = JSON.parse((await sandbox.cli(['status', id, '--json'])).stdout) as TaskView;
					return task.status === 'running' || task.status === 'queued' ? undefined : task;
				},
				60_000,
				500,
			);
			expect(done.status).toBe('completed');
			expect(done.activity).toBeUndefined();
		},
	);
});
