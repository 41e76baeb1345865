import {afterAll, beforeAll, expect, it} from 'vitest';
import {RESUME_PROMPT} from '../../source/core/fleet.js';
import type {ScheduleView, TaskView} from '../../source/protocol/views.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';
import {allTasks, askedBodies, delegate, isEnded, withClient} from './fleet-client.js';

// kill -9 of the core with 4 tasks running, 20 queued and 2 schedules: after the restart every task is accounted for
// (the 4 resume their conversations, the 20 run) and each schedule keeps its next run.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '4'});
}, 60_000);

afterAll(async () => {
	await sandbox.cleanup();
});

const listSchedules = () => withClient(sandbox, async call => ((await call('list_schedules', {})) as {schedules: ScheduleView[]}).schedules);

it('after kill -9 with 4 running, 20 queued and 2 schedules, all 24 tasks end as they should and the schedules keep their next run', async () => {
	const first = await sandbox.startDaemon();
	const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
	const schedules = await withClient(sandbox, async call => [
		((await call('schedule_task', {prompt: 'yearly [[reply:new year]]', cwd: sandbox.project, cron: '0 3 1 1 *', timezone: 'UTC'})) as {schedule: ScheduleView}).schedule,
		((await call('schedule_task', {prompt: 'later once [[reply:later]]', cwd: sandbox.project, at: inTwoDays})) as {schedule: ScheduleView}).schedule,
	]);
	const running: TaskView[] = [];
	// Held mid-turn by their first request only: resumed after the restart, they answer at once.
	for (let index = 0; index < 4; index++) running.push(await delegate(sandbox, {prompt: `kill9 running ${index} [[slow:15000:first]] [[reply:resumed ${index}]]`}));
	const queued: TaskView[] = [];
	for (let index = 0; index < 20; index++) queued.push(await delegate(sandbox, {prompt: `kill9 queued ${index} [[reply:ran ${index}]]`, mode: 'headless'}));
	// Killed while all four workers are mid-turn: their conversations are on disk, their answers are not.
	await waitFor(
		'four workers waiting on the API',
		async () => {
			const busy = (await allTasks(sandbox)).filter(task => task.workerState === 'busy');
			return (
				busy.length === 4 && running.every(task => busy.some(candidate => candidate.id === task.id) && askedBodies(sandbox).some(body => body.includes(task.prompt)))
			);
		},
		120_000,
	);
	expect((await allTasks(sandbox)).filter(task => task.status === 'queued')).toHaveLength(20);
	first.kill('SIGKILL');
	await waitFor('the first core to be gone', () => first.exitCode !== null || first.signalCode !== null, 10_000);

	await sandbox.startDaemon({CCFLEET_MAX_WORKERS: '6'});
	const after = await listSchedules();
	for (const schedule of schedules) {
		expect(after.find(candidate => candidate.id === schedule.id)).toMatchObject({status: 'active', nextRunAt: schedule.nextRunAt});
	}
	const final = await waitFor(
		'all 24 to end after the restart',
		async () => {
			const tasks = await allTasks(sandbox);
			return tasks.length === 24 && tasks.every(isEnded) ? tasks : undefined;
		},
		180_000,
	);
	const lost = [...running, ...queued].filter(task => !final.some(candidate => candidate.id === task.id));
	expect(lost).toEqual([]);
	for (const [index, task] of running.entries()) {
		expect(final.find(candidate => candidate.id === task.id)).toMatchObject({status: 'completed', result: `resumed ${index}`, attempts: 2});
	}
	for (const [index, task] of queued.entries()) {
		expect(final.find(candidate => candidate.id === task.id)).toMatchObject({status: 'completed', result: `ran ${index}`, attempts: 1});
	}
	for (const task of final) expect(processesOfTask(task.id)).toEqual([]);
	// Each of the four went on from its own conversation: the request after the restart carries its first prompt.
	const resumedBodies = askedBodies(sandbox).filter(body => body.includes(RESUME_PROMPT));
	for (const task of running) expect(resumedBodies.some(body => body.includes(task.prompt))).toBe(true);
	// Neither schedule fired meanwhile, and both still wait for the same time.
	expect((await listSchedules()).filter(schedule => schedules.some(created => created.id === schedule.id)).map(schedule => schedule.nextRunAt)).toEqual(
		schedules.map(schedule => schedule.nextRunAt),
	);
	process.stdout.write(`core kill -9: ${final.length}/24 tasks accounted for, ${lost.length} lost; 2/2 schedules kept their next run\n`);
}, 360_000);
