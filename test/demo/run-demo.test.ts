import {existsSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, expect, test} from 'vitest';
import {setupDemo, type DemoSetup} from '../../source/demo/run-demo.js';
import {createMcpFleetSource} from '../../source/ui/fleet-source.js';
import {waitFor} from '../helpers/wait-for.js';

// The demo's setup with the real bundled claude on the mock API: the scripted tasks and schedules reach the core,
// the mock answers the workers, one asks for permission, and closing leaves nothing behind.
let demo: DemoSetup;

beforeAll(async () => {
	demo = await setupDemo();
}, 60_000);

afterAll(async () => {
	await demo?.close();
});

const status = async (id: string) => (await demo.client.call('task_status', {id})).task!;

test('the scripted tasks and schedules are in the core, as the dashboard sees them', async () => {
	const {tasks} = demo;
	expect(tasks.implement).toMatchObject({continueFrom: tasks.design.id, status: 'queued'});
	expect(tasks.release.dependsOn).toEqual([tasks.test.id, tasks.docs.id]);
	expect(tasks.permission.permissionMode).toBe('default');
	const snapshot = await createMcpFleetSource(demo.client).snapshot();
	const ids = new Set(snapshot.tasks.map(task => task.id));
	for (const task of Object.values(tasks)) expect(ids.has(task.id), task.prompt).toBe(true);
	expect(snapshot.schedules.map(schedule => [schedule.kind, schedule.status])).toEqual([
		['once', 'active'],
		['cron', 'active'],
	]);
	expect(Date.parse(snapshot.schedules[0]!.nextRunAt!) - Date.now()).toBeGreaterThan(30_000);
});

test('the mock answers the workers: design completes with its scripted reply, the permission task asks', async () => {
	const {tasks} = demo;
	const design = await waitFor(
		'the design task to complete',
		async () => {
			const view = await status(tasks.design.id);
			return view.status === 'completed' ? view : undefined;
		},
		60_000,
	);
	expect(design.result).toBe('Design: one flag, --verbose, that logs each step to stderr.');
	expect(demo.mock.mainRequests().some(request => JSON.stringify(request.body).includes('Design a --verbose flag'))).toBe(true);
	const asking = await waitFor(
		'the permission question',
		async () => {
			const view = await status(tasks.permission.id);
			return view.status === 'needs_input' || view.workerState === 'needs_input' ? view : undefined;
		},
		60_000,
	);
	expect(asking.question?.toolName).toBe('Bash');
	await demo.client.call('respond_to_task', {id: tasks.permission.id, action: 'approve'});
	await waitFor('the approved command to run', () => existsSync(path.join(demo.project, 'demo-cleanup.txt')), 30_000);
}, 120_000);

test('the mock is scripted beside the prompts: no directive reaches a prompt, a result, a log or a screen', async () => {
	const {tasks} = demo;
	for (const task of Object.values(tasks)) expect(task.prompt).not.toContain('[[');
	for (const schedule of demo.schedules) expect(schedule.task.prompt).not.toContain('[[');
	// The long review is slow on purpose: it stays busy on its first request, and claude does not give up on the
	// stream (that showed "check your network" and asked again).
	const review = await waitFor(
		'the review to be busy for 10 s',
		async () => {
			const view = await status(tasks.slow.id);
			return view.startedAt && Date.now() - Date.parse(view.startedAt) > 10_000 ? view : undefined;
		},
		90_000,
	);
	expect(review.status).toBe('running');
	const logs = (await demo.client.call('task_logs', {id: tasks.slow.id, screen: true})) as {log: string; screen?: string[]};
	const seen = `${logs.log}\n${(logs.screen ?? []).join('\n')}`;
	expect(seen).toContain('Review the whole codebase');
	expect(seen).not.toContain('[[');
	expect(seen).not.toMatch(/check your network|will retry/i);
	expect(demo.mock.mainRequests().filter(request => JSON.stringify(request.body).includes('Review the whole codebase'))).toHaveLength(1);
	const design = await status(tasks.design.id);
	expect(design.result).not.toContain('[[');
}, 120_000);

test('closing stops the core and removes the temporary directories', async () => {
	const root = path.dirname(demo.config.home);
	await demo.close();
	expect(existsSync(root)).toBe(false);
	expect(existsSync(demo.config.socketPath)).toBe(false);
});
