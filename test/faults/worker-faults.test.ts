import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';
import {allTasks, askedBodies, delegate, isEnded} from './fleet-client.js';

// Workers that die or stop under the fleet: killed with kill -9, frozen with SIGSTOP past their timeout, and a claude
// that exits as soon as it starts. Each task must end (never stay "running"), with its processes gone and a reason.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CCFLEET_MAX_ATTEMPTS: '2', CCFLEET_RETRY_BASE: '1s'});
	await sandbox.startDaemon();
}, 60_000);

afterAll(async () => {
	await sandbox.cleanup();
});

const task = async (id: string) => (await allTasks(sandbox)).find(candidate => candidate.id === id)!;
const ended = (id: string, timeoutMs: number) => waitFor(`task ${id} to end`, async () => ((await task(id)) && isEnded(await task(id)) ? task(id) : undefined), timeoutMs);

/** Waits until the task's worker is mid-turn (its prompt reached the API) and returns its processes. */
async function busyWorker(view: TaskView): Promise<number[]> {
	return waitFor(
		`${view.id} to be waiting on the API`,
		async () => {
			const current = await task(view.id);
			const pids = processesOfTask(view.id);
			return current.workerState === 'busy' && askedBodies(sandbox).some(body => body.includes(view.prompt)) && pids.length > 0 ? pids : undefined;
		},
		90_000,
	);
}

// The first two run side by side (each follows its own task and processes, within the ceiling of three workers); the
// third restarts the core, after both.
it.concurrent(
	'a worker killed with kill -9 is not lost: the task fails naming the signal and leaves no process',
	async () => {
		const view = await delegate(sandbox, {prompt: 'killed worker [[slow:30000]] [[reply:survived the kill]]'});
		const pids = await busyWorker(view);
		for (const pid of pids) process.kill(pid, 'SIGKILL');
		const done = await ended(view.id, 120_000);
		expect(processesOfTask(view.id)).toEqual([]);
		// A worker that dies by a signal is a crash of that run, not a passing API error: it fails with the signal named.
		expect(done).toMatchObject({status: 'failed', attempts: 1, failureReason: expect.stringMatching(/killed by SIGKILL/)});
		process.stdout.write(`worker kill -9: ${done.status} after ${done.attempts} run(s): ${done.failureReason ?? done.result}\n`);
	},
	180_000,
);

it.concurrent(
	'a worker stopped with SIGSTOP past its timeout is ended (the stop escalates to SIGKILL) and the task fails on its timeout',
	async () => {
		const view = await delegate(sandbox, {prompt: 'frozen worker [[slow:120000]] [[reply:never]]', timeoutMs: 8000});
		const pids = await busyWorker(view);
		for (const pid of pids) process.kill(pid, 'SIGSTOP');
		const done = await ended(view.id, 90_000);
		expect(done).toMatchObject({status: 'failed', failureReason: expect.stringMatching(/timed out|timeout|8 ?s/i)});
		await waitFor('the frozen processes to be gone', () => processesOfTask(view.id).length === 0, 30_000);
		process.stdout.write(`worker SIGSTOP: ${done.status} after ${done.attempts} run(s): ${done.failureReason}\n`);
	},
	180_000,
);

it('a claude that exits at start fails each task with what it said, after bounded attempts, in both modes', async () => {
	const broken = path.join(sandbox.home, 'claude-exits-at-start');
	writeFileSync(broken, '#!/bin/sh\necho "claude: cannot start: missing runtime library" >&2\nexit 7\n', {mode: 0o755});
	const before = sandbox.corePid()!;
	process.kill(before, 'SIGTERM');
	await waitFor('the first core to stop', () => sandbox.corePid() === undefined, 60_000);
	await sandbox.startDaemon({CCFLEET_CLAUDE_BIN: broken});
	const views = [await delegate(sandbox, {prompt: 'broken claude pty', mode: 'pty'}), await delegate(sandbox, {prompt: 'broken claude headless', mode: 'headless'})];
	for (const view of views) {
		const done = await ended(view.id, 90_000);
		expect(done.status).toBe('failed');
		expect(done.attempts).toBeLessThanOrEqual(2);
		expect(done.failureReason).toMatch(/exit|code 7|cannot start/i);
		process.stdout.write(`claude exits at start (${done.mode}): ${done.status} after ${done.attempts} run(s): ${done.failureReason}\n`);
	}
}, 240_000);
