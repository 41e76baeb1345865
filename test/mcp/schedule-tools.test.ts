import os from 'node:os';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {createScheduler, type Scheduler} from '../../source/core/scheduler.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

// The schedule tools over the SDK's in-memory transport, on a fleet and scheduler of fakes (the clock starts 2026-11-23 09:00 UTC).
let fleet: Fleet;
let scheduler: Scheduler;
let clock: FakeClock;
let driver: FakeWorkerDriver;
let client: Client;
const cwd = os.tmpdir();

beforeEach(async () => {
	clock = new FakeClock();
	driver = new FakeWorkerDriver();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 2, staggerMs: 0},
	);
	await fleet.start();
	let n = 0;
	scheduler = createScheduler({store: new MemoryScheduleStore(), clock, ids: {scheduleId: () => `s${++n}`}, fleet}, {defaultTimezone: 'UTC'});
	scheduler.start();
	const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
	await createFleetMcpServer(fleet, {scheduler}).connect(serverTransport);
	client = new Client({name: 'test-client', version: '1.0.0'});
	await client.connect(clientTransport);
});

afterEach(async () => {
	await client.close();
	scheduler.stop();
});

type Result = {isError?: boolean; content: {type: string; text: string}[]; structuredContent?: Record<string, unknown>};
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({name, arguments: args})) as Result;
const text = (result: Result) => result.content.map(part => part.text).join('\n');

describe('the schedule tools', () => {
	it('are listed with descriptions that teach the caller, beside the task tools', async () => {
		const {tools} = await client.listTools();
		const names = tools.map(tool => tool.name);
		for (const name of ['schedule_task', 'schedule_pipeline', 'list_schedules', 'get_schedule', 'pause_schedule', 'resume_schedule', 'cancel_schedule', 'delegate_task']) {
			expect(names).toContain(name);
		}
		const schedule = tools.find(tool => tool.name === 'schedule_task')!;
		expect(schedule.inputSchema.required).toEqual(['prompt']);
		expect(JSON.stringify(schedule.inputSchema)).toContain('0 9 * * 1-5');
		expect(JSON.stringify(schedule.inputSchema)).toContain('catchup');
	});

	it('creates a cron schedule, fires it, and shows its run history with the task it started', async () => {
		const result = await call('schedule_task', {
			prompt: 'Check the nightly build',
			cwd,
			cron: '30 9 * * *',
			timezone: 'Europe/Berlin',
			priority: 'P0',
			missedRunPolicy: 'catchup',
		});
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent!.schedule).toMatchObject({
			id: 's1',
			kind: 'cron',
			status: 'active',
			cron: '30 9 * * *',
			timezone: 'Europe/Berlin',
			missedRunPolicy: 'catchup',
			nextRunAt: '2026-11-24T08:30:00.000Z',
			nextRunLocal: '2026-11-24 09:30 GMT+1',
			task: {prompt: 'Check the nightly build', cwd, priority: 'P0'},
		});
		expect(text(result)).toContain('Schedule s1 is active; its first run is at 2026-11-24 09:30 GMT+1');

		clock.advance(23.5 * 3_600_000);
		clock.advance(60_000);
		driver.worker('t1').finish('green');
		const got = await call('get_schedule', {id: 's1'});
		expect(got.structuredContent!.runs).toEqual([
			{id: 1, scheduledFor: '2026-11-24T08:30:00.000Z', firedAt: '2026-11-24T08:30:00.000Z', taskId: 't1', outcome: 'completed', endedAt: '2026-11-24T08:31:00.000Z'},
		]);
		expect(got.structuredContent!.schedule).toMatchObject({lastRunAt: '2026-11-24T08:30:00.000Z', nextRunAt: '2026-11-25T08:30:00.000Z'});
		expect(fleet.get('t1')).toMatchObject({prompt: 'Check the nightly build', priority: 'P0'});
	});

	it('creates a one-time schedule from an ISO time', async () => {
		const result = await call('schedule_task', {prompt: 'Release notes', cwd, at: '2026-11-23T10:00:00Z'});
		expect(result.structuredContent!.schedule).toMatchObject({kind: 'once', runAt: '2026-11-23T10:00:00.000Z', missedRunPolicy: 'skip'});
		clock.advance(3_600_000);
		const list = await call('list_schedules', {});
		expect(list.structuredContent!.schedules).toMatchObject([{id: 's1', status: 'completed'}]);
	});

	it('pauses, resumes and cancels, and lists by status', async () => {
		await call('schedule_task', {prompt: 'a', cwd, cron: '0 * * * *'});
		await call('schedule_task', {prompt: 'b', cwd, cron: '0 12 * * *'});
		const paused = await call('pause_schedule', {id: 's1'});
		expect(paused.structuredContent!.schedule).toMatchObject({status: 'paused'});
		expect(text(paused)).toBe('Schedule s1 is paused.');
		const active = await call('list_schedules', {status: ['active']});
		expect((active.structuredContent!.schedules as {id: string}[]).map(s => s.id)).toEqual(['s2']);
		expect(text(active)).toBe('s2 active: cron "0 12 * * *" (UTC), next 2026-11-23 12:00 UTC');
		const resumed = await call('resume_schedule', {id: 's1'});
		expect(text(resumed)).toBe('Schedule s1 is active; next run 2026-11-23 10:00 UTC.');
		const cancelled = await call('cancel_schedule', {id: 's1'});
		expect(cancelled.structuredContent!.schedule).toMatchObject({status: 'cancelled', endReason: 'cancelled by mcp:test-client'});
		const again = await call('cancel_schedule', {id: 's1'});
		expect(again.isError).toBe(true);
		expect(text(again)).toContain('already ended (cancelled)');
	});

	it('starts a pipeline and reports its first task', async () => {
		const result = await call('schedule_pipeline', {steps: ['write', 'review'], cwd, delay: 60_000});
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent).toMatchObject({pipelineId: 's1', firstTaskId: 't1'});
		expect(text(result)).toBe('Pipeline s1: 2 steps (s2 → s3). Step 1 is task t1.');
		driver.worker('t1').finish('written');
		clock.advance(60_000);
		expect(fleet.get('t2').prompt).toBe('review');
	});

	describe('malformed input is a clear isError result, and the server stays up', () => {
		const cases: [string, string, Record<string, unknown>, RegExp][] = [
			['both cron and at', 'schedule_task', {prompt: 'x', cwd, cron: '0 9 * * *', at: '2027-01-01T00:00:00Z'}, /exactly one of cron .* or at .*got both/],
			['neither cron nor at', 'schedule_task', {prompt: 'x', cwd}, /exactly one of cron .* or at .*got neither/],
			['a six-field cron', 'schedule_task', {prompt: 'x', cwd, cron: '0 0 9 * * *'}, /has 6 fields; ccfleet takes exactly five/],
			['an unknown time zone', 'schedule_task', {prompt: 'x', cwd, cron: '0 9 * * *', timezone: 'Atlantis/Capital'}, /not an IANA time zone/],
			['a time in the past', 'schedule_task', {prompt: 'x', cwd, at: '2020-01-01T00:00:00Z'}, /not in the future/],
			['a time that is not ISO 8601', 'schedule_task', {prompt: 'x', cwd, at: 'next tuesday'}, /not an ISO 8601 date and time/],
			['a directory that does not exist', 'schedule_task', {prompt: 'x', cwd: '/definitely/not/here', cron: '0 9 * * *'}, /does not exist/],
			['an unknown missed-run policy', 'schedule_task', {prompt: 'x', cwd, cron: '0 9 * * *', missedRunPolicy: 'later'}, /missedRunPolicy/],
			['no prompt', 'schedule_task', {cwd, cron: '0 9 * * *'}, /prompt/],
			['an empty pipeline', 'schedule_pipeline', {steps: [], cwd}, /steps/],
			['an unknown schedule', 'get_schedule', {id: 'nope'}, /No schedule with id "nope".*ccfleet schedule list/],
			['pausing an unknown schedule', 'pause_schedule', {id: 'nope'}, /No schedule with id "nope"/],
		];
		for (const [name, tool, args, message] of cases) {
			it(`${tool}: ${name}`, async () => {
				const result = await call(tool, args);
				expect(result.isError).toBe(true);
				expect(text(result)).toMatch(message);
				const list = await call('list_schedules', {});
				expect(list.isError).toBeFalsy();
			});
		}
	});
});
