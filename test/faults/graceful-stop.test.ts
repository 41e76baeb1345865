import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';
import {allTasks, askedBodies, delegate, isEnded} from './fleet-client.js';

// SIGTERM (what `ccfleet stop` and systemd send) is the graceful path: the daemon stops admitting, ends its workers so
// they resume at the next start, closes its store, removes its socket and exits 0.
let sandbox: Sandbox;

const readLog = () =>
	readFileSync(path.join(sandbox.home, 'logs', 'ccfleet.log'), 'utf8')
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
});

afterAll(async () => {
	await sandbox.cleanup();
});

it('SIGTERM with two real-claude tasks running and one queued: exit 0, socket removed, logged; all three complete after a restart', async () => {
	const first = await sandbox.startDaemon();
	const tasks = [];
	// The two that run are held mid-turn by their first request only: resumed after the restart, they answer at once. The
	// third waits in the queue (two workers at most) and needs no slow turn.
	for (let index = 0; index < 3; index++) {
		const slow = index < 2 ? ' [[slow:20000:first]]' : '';
		tasks.push(await delegate(sandbox, {prompt: `graceful ${index}${slow} [[reply:finished ${index}]]`}));
	}
	const running = await waitFor(
		'two workers waiting on the API',
		async () => {
			const busy = (await allTasks(sandbox)).filter(task => task.workerState === 'busy');
			return busy.length === 2 && busy.every(task => askedBodies(sandbox).some(body => body.includes(task.prompt))) ? busy : undefined;
		},
		90_000,
	);

	const exited = new Promise<number | null>(resolve => first.once('exit', code => resolve(code)));
	first.kill('SIGTERM');
	// A second SIGTERM while it stops (an impatient service manager, a second `ccfleet stop`) must not cut the stop short.
	await waitFor('the stop to begin', () => readLog().some(entry => String(entry['msg']).startsWith('stopping')) || first.exitCode !== null, 30_000, 5);
	if (first.exitCode === null) first.kill('SIGTERM');
	expect(await exited).toBe(0);
	expect(existsSync(path.join(sandbox.home, 'run', 'ccfleet.sock'))).toBe(false);
	expect(sandbox.corePid()).toBeUndefined();
	for (const task of running) expect(processesOfTask(task.id)).toEqual([]);

	const log = readLog();
	expect(log.map(entry => entry['msg'])).toEqual(expect.arrayContaining(['ccfleet daemon ready', 'stopping: running tasks will resume at the next start', 'stopped']));
	expect(log.find(entry => entry['msg'] === 'stopped')).toMatchObject({level: 'info', signal: 'SIGTERM'});

	// Room for all three at once after the restart: the two resumed ones keep their slow turn, and the queued one need not
	// wait out one of them before it can run.
	await sandbox.startDaemon({CCFLEET_MAX_WORKERS: '3'});
	const final = await waitFor(
		'all three to end after the restart',
		async () => {
			const all = await allTasks(sandbox);
			return all.length === 3 && all.every(isEnded) ? all : undefined;
		},
		120_000,
	);
	const resumed = new Set(running.map(task => task.id));
	for (const task of final) {
		expect(task).toMatchObject({status: 'completed', result: `finished ${/graceful (\d)/.exec(task.prompt)![1]}`});
		expect(task.attempts).toBe(resumed.has(task.id) ? 2 : 1);
	}
	// The log tells each task's story: created, running, back to the queue at the stop, completed after the restart.
	const lines = readLog();
	for (const task of final) {
		const story = lines.filter(entry => entry['task'] === task.id).map(entry => entry['msg']);
		expect(story[0]).toBe('task created');
		expect(story).toContain('task running');
		expect(story.at(-1)).toBe('task completed');
	}
}, 240_000);
