import type {ChildProcess} from 'node:child_process';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient} from '../../source/mcp/socket-client.js';
import type {ScheduleRunView, ScheduleView} from '../../source/protocol/views.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Schedules in a real daemon running the real claude on the mock API: they fire on time, and survive a restart.
let sandbox: Sandbox;
let daemon: ChildProcess;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	daemon = await sandbox.startDaemon();
}, 60_000);

afterAll(async () => {
	await sandbox.cleanup();
});

async function cliJson<T>(args: string[]): Promise<T> {
	const {stdout, stderr, exitCode} = await sandbox.cli([...args, '--json']);
	if (exitCode !== 0) throw new Error(`ccfleet ${args.join(' ')} failed: ${stderr}`);
	return JSON.parse(stdout) as T;
}

const getSchedule = (id: string) => cliJson<{schedule: ScheduleView; runs: ScheduleRunView[]}>(['schedule', 'get', id]);

/** Waits until the schedule's first run has a task that ended, and returns both. */
async function firstRunEnded(id: string, timeoutMs = 90_000): Promise<{run: ScheduleRunView; task: TaskView}> {
	return waitFor(
		`schedule ${id} to run a task to its end`,
		async () => {
			const {runs} = await getSchedule(id);
			const run = runs[0];
			if (!run?.taskId || run.outcome === 'started') return undefined;
			return {run, task: await cliJson<TaskView>(['status', run.taskId])};
		},
		timeoutMs,
		250,
	);
}

describe('schedules in the daemon', () => {
	it('fires a one-time schedule within 1 s of its time and completes it with the mock text', async () => {
		// Created over the socket, which takes milliseconds; a CLI start-up (a second or more on a busy machine) would eat the 3 s.
		const {client, close} = await connectMcpClient(`${sandbox.home}/run/ccfleet.sock`, {name: 'schedule-e2e'});
		const at = new Date(Date.now() + 3000);
		let schedule: ScheduleView;
		try {
			const result = await client.callTool({
				name: 'schedule_task',
				arguments: {prompt: 'Scheduled greeting [[reply:hello on schedule]]', cwd: sandbox.project, at: at.toISOString()},
			});
			expect(result.isError).toBeFalsy();
			schedule = (result.structuredContent as {schedule: ScheduleView}).schedule;
		} finally {
			await close();
		}
		expect(schedule).toMatchObject({kind: 'once', status: 'active', runAt: at.toISOString()});

		const {run, task} = await firstRunEnded(schedule.id);
		const lateMs = Date.parse(task.createdAt) - at.getTime();
		expect(lateMs).toBeGreaterThanOrEqual(0);
		expect(lateMs).toBeLessThan(1000);
		expect(run).toMatchObject({scheduledFor: at.toISOString(), outcome: 'completed'});
		expect(task).toMatchObject({status: 'completed', result: 'hello on schedule', prompt: 'Scheduled greeting [[reply:hello on schedule]]'});
		expect((await getSchedule(schedule.id)).schedule.status).toBe('completed');

		const {stdout} = await sandbox.cli(['schedule', 'get', schedule.id]);
		expect(stdout).toMatch(/status\s+completed/);
		expect(stdout).toMatch(new RegExp(`completed\\s+${task.id}`));
	}, 120_000);

	it('keeps a schedule across a daemon restart and fires it from the new daemon', async () => {
		const at = new Date(Date.now() + 15_000);
		const created = await cliJson<ScheduleView>(['schedule', 'create', 'After the restart [[reply:survived the restart]]', '--at', at.toISOString()]);
		expect(created).toMatchObject({kind: 'once', status: 'active', nextRunAt: at.toISOString()});

		const firstPid = daemon.pid;
		daemon.kill('SIGTERM');
		await waitFor('the daemon to stop', () => daemon.exitCode !== null || daemon.signalCode !== null, 15_000);
		expect(Date.now()).toBeLessThan(at.getTime());
		daemon = await sandbox.startDaemon();
		expect(daemon.pid).not.toBe(firstPid);

		const listed = await cliJson<ScheduleView[]>(['schedule', 'list', '--status', 'active']);
		expect(listed.map(schedule => schedule.id)).toContain(created.id);
		const {run, task} = await firstRunEnded(created.id);
		expect(Date.parse(task.createdAt) - at.getTime()).toBeLessThan(1000);
		expect(run.outcome).toBe('completed');
		expect(task.result).toBe('survived the restart');
	}, 120_000);

	it('chains pipeline steps, the next one starting after the previous completes', async () => {
		const result = await cliJson<{pipelineId: string; schedules: ScheduleView[]; firstTaskId: string}>([
			'pipeline',
			'First step [[reply:step one done]]',
			'Second step [[reply:step two done]]',
			'--delay',
			'1s',
		]);
		expect(result.schedules).toHaveLength(2);
		expect(result.firstTaskId).toBeTruthy();
		const second = await firstRunEnded(result.schedules[1]!.id);
		const first = await cliJson<TaskView>(['status', result.firstTaskId]);
		expect(first).toMatchObject({status: 'completed', result: 'step one done'});
		expect(second.task).toMatchObject({status: 'completed', result: 'step two done'});
		expect(Date.parse(second.task.createdAt) - Date.parse(first.endedAt!)).toBeGreaterThanOrEqual(1000);
	}, 180_000);

	it('explains bad input and what to do next', async () => {
		// Each command is refused on its own, whatever the others do: they run at once rather than one start-up after another.
		const [sixFields, both, zone, past, unknown, noSub, help, pipelineHelp] = await Promise.all([
			sandbox.cli(['schedule', 'create', 'x', '--cron', '0 0 9 * * *']),
			sandbox.cli(['schedule', 'create', 'x', '--cron', '0 9 * * *', '--at', '2030-01-01T00:00Z']),
			sandbox.cli(['schedule', 'create', 'x', '--cron', '0 9 * * *', '--timezone', 'Mars/Base']),
			sandbox.cli(['schedule', 'create', 'x', '--at', '2020-01-01T00:00:00Z']),
			sandbox.cli(['schedule', 'get', 'nope']),
			sandbox.cli(['schedule']),
			sandbox.cli(['schedule', 'create', '--help']),
			sandbox.cli(['pipeline', '--help']),
		]);
		expect(sixFields.exitCode).toBe(1);
		expect(sixFields.stderr).toContain('has 6 fields; ccfleet takes exactly five');
		expect(both.stderr).toContain('Give exactly one of --cron');
		expect(zone.stderr).toContain('timezone "Mars/Base" is not an IANA time zone');
		expect(past.stderr).toContain('not in the future');
		expect(unknown.stderr).toContain('No schedule with id "nope"');
		expect(noSub.stderr).toContain('ccfleet schedule needs a subcommand');
		expect(help.stdout).toContain('--missed-run-policy');
		expect(pipelineHelp.stdout).toContain('--delay');
	}, 60_000);
});
