import {expect, test} from 'vitest';
import {CliError, type FleetClient} from '../../source/cli/client.js';
import {createMcpFleetSource, RECENT_TASKS} from '../../source/ui/fleet-source.js';
import {busyFleet, iso, makeTask, NOW} from './fake-fleet-source.js';

type Call = {tool: string; args: Record<string, unknown>};

/** A FleetClient that answers each tool with what `answers` gives and records the calls. */
function fakeClient(answers: Record<string, (args: Record<string, unknown>) => unknown>): FleetClient & {calls: Call[]} {
	const calls: Call[] = [];
	return {
		calls,
		async call<T>(tool: string, args: Record<string, unknown>): Promise<T> {
			calls.push({tool, args});
			const answer = answers[tool];
			if (!answer) throw new Error(`unexpected tool ${tool}`);
			return answer(args) as T;
		},
		async subscribe() {
			throw new Error('this fake core pushes nothing');
		},
		onClose() {},
		async close() {},
	};
}

test('a snapshot has every active task and the newest ones, once each, newest first', async () => {
	const oldQueued = makeTask({id: 'oldqueue', status: 'queued', createdAt: iso(86_400_000)});
	const running = makeTask({id: 'running1', status: 'running', createdAt: iso(1000)});
	const done = makeTask({id: 'done0001', status: 'completed', createdAt: iso(2000)});
	const fleet = busyFleet().fleet();
	const client = fakeClient({
		task_status: args => (args['status'] ? {tasks: [running, oldQueued]} : {tasks: [running, done]}),
		fleet_status: () => fleet,
	});
	const source = createMcpFleetSource(client, {clock: () => NOW});
	const snapshot = await source.snapshot();
	expect(snapshot.tasks.map(task => task.id)).toEqual(['running1', 'done0001', 'oldqueue']);
	expect(snapshot.fleet).toBe(fleet);
	expect(snapshot.takenAt).toBe(NOW);
	expect(client.calls).toContainEqual({tool: 'task_status', args: {limit: RECENT_TASKS}});
	expect(client.calls).toContainEqual({tool: 'task_status', args: {status: ['queued', 'parked', 'running', 'needs_input'], limit: 1000}});
});

test('output is the live screen when the worker has one, else the tail of the log', async () => {
	let screen: string[] | undefined = ['╭ Claude ╮', '', ''];
	const client = fakeClient({task_logs: () => ({log: 'first\nsecond\n', ...(screen ? {screen} : {})})});
	const source = createMcpFleetSource(client);
	expect(await source.output('t1')).toEqual({lines: ['╭ Claude ╮', '', ''], live: true});
	expect(client.calls[0]).toEqual({tool: 'task_logs', args: {id: 't1', tail: 200, screen: true}});
	screen = [];
	expect(await source.output('t1')).toEqual({lines: ['first', 'second'], live: false});
	screen = undefined;
	expect(await source.output('t1')).toEqual({lines: ['first', 'second'], live: false});
});

test('actions call the matching tools and return the task they changed or made', async () => {
	const task = makeTask({id: 'task0001'});
	const client = fakeClient({
		delegate_task: () => ({task}),
		cancel_task: () => ({task}),
		retry_task: () => ({task}),
		resume_task: () => ({task, resumedConversation: true}),
		respond_to_task: () => ({task}),
		manage_queue: () => ({task}),
	});
	const source = createMcpFleetSource(client);
	expect(await source.delegate({prompt: 'Do it', cwd: '/work', priority: 'P0'})).toBe(task);
	await source.cancel('task0001', 'cancelled from the dashboard');
	await source.retry('task0001');
	await source.resume('task0001');
	await source.respond('task0001', {action: 'approve'});
	await source.respond('task0001', {action: 'deny', message: 'No.'});
	await source.reprioritize('task0001', 'P2');
	expect(client.calls).toEqual([
		{tool: 'delegate_task', args: {prompt: 'Do it', cwd: '/work', priority: 'P0'}},
		{tool: 'cancel_task', args: {id: 'task0001', reason: 'cancelled from the dashboard'}},
		{tool: 'retry_task', args: {id: 'task0001'}},
		{tool: 'resume_task', args: {id: 'task0001'}},
		{tool: 'respond_to_task', args: {id: 'task0001', action: 'approve'}},
		{tool: 'respond_to_task', args: {id: 'task0001', action: 'deny', message: 'No.'}},
		{tool: 'manage_queue', args: {action: 'reprioritize', id: 'task0001', priority: 'P2'}},
	]);
});

test('a refusal from the core rejects with its message', async () => {
	const client = fakeClient({
		retry_task: () => {
			throw new Error('Task t1 is running; only a finished task can be retried.');
		},
	});
	await expect(createMcpFleetSource(client).retry('t1')).rejects.toThrow('only a finished task can be retried');
});

test('a lost connection is made again: reads are repeated on it, actions are not', async () => {
	const task = makeTask({id: 'task0001'});
	let isBroken = true;
	const broken = fakeClient({
		task_logs: () => {
			throw new Error('Not connected');
		},
		retry_task: () => {
			throw new Error('Not connected');
		},
	});
	const fresh = fakeClient({task_logs: () => ({log: 'hello\n'}), retry_task: () => ({task})});
	let reconnects = 0;
	const source = createMcpFleetSource(broken, {
		reconnect: async () => {
			reconnects++;
			if (isBroken) throw new Error('No ccfleet core is running.');
			return fresh;
		},
	});
	await expect(source.output('task0001')).rejects.toThrow('No ccfleet core is running.');
	isBroken = false;
	expect(await source.output('task0001')).toEqual({lines: ['hello'], live: false});
	expect(reconnects).toBe(2);
	expect(fresh.calls).toHaveLength(1);
	expect(await source.retry('task0001')).toBe(task);
	expect(fresh.calls.at(-1)).toEqual({tool: 'retry_task', args: {id: 'task0001'}});
});

test('an action that fails on a lost connection is reported, not repeated', async () => {
	const broken = fakeClient({
		delegate_task: () => {
			throw new Error('Not connected');
		},
	});
	const fresh = fakeClient({delegate_task: () => ({task: makeTask({id: 'dup'})})});
	const source = createMcpFleetSource(broken, {reconnect: async () => fresh});
	await expect(source.delegate({prompt: 'Do it', cwd: '/work', priority: 'P1'})).rejects.toThrow('Not connected');
	await new Promise(resolve => setTimeout(resolve, 0));
	expect(fresh.calls).toEqual([]);
});

test('a refusal from the core does not reconnect', async () => {
	let reconnects = 0;
	const client = fakeClient({
		cancel_task: () => {
			throw new CliError('Task t1 has ended.');
		},
	});
	const source = createMcpFleetSource(client, {
		reconnect: async () => {
			reconnects++;
			return client;
		},
	});
	await expect(source.cancel('t1', 'why')).rejects.toThrow('Task t1 has ended.');
	expect(reconnects).toBe(0);
});

test('schedules come every other snapshot, with get_schedule only for a run not yet known or not yet ended', async () => {
	const fleet = busyFleet().fleet();
	let outcome = 'started';
	const listed = [
		{id: 'sched001', kind: 'cron', status: 'active', timezone: 'UTC', lastRunAt: iso(60_000)},
		{id: 'sched002', kind: 'cron', status: 'active', timezone: 'UTC'},
	];
	const client = fakeClient({
		task_status: () => ({tasks: []}),
		fleet_status: () => fleet,
		list_schedules: () => ({schedules: listed}),
		get_schedule: () => ({runs: [{id: 1, scheduledFor: iso(60_000), firedAt: iso(60_000), outcome, taskId: 'task0001'}]}),
		pause_schedule: args => ({schedule: {...listed[0], id: args['id'], status: 'paused'}}),
	});
	const source = createMcpFleetSource(client, {clock: () => NOW});
	const count = (tool: string) => client.calls.filter(call => call.tool === tool).length;
	const first = await source.snapshot();
	expect(first.schedules.map(schedule => [schedule.id, schedule.lastRun?.outcome])).toEqual([
		['sched001', 'started'],
		['sched002', undefined],
	]);
	expect([count('list_schedules'), count('get_schedule')]).toEqual([1, 1]);
	expect((await source.snapshot()).schedules).toBe(first.schedules);
	expect(count('list_schedules')).toBe(1);
	// The run had not ended: asked again, and now it has.
	outcome = 'completed';
	expect((await source.snapshot()).schedules[0]!.lastRun?.outcome).toBe('completed');
	expect([count('list_schedules'), count('get_schedule')]).toEqual([2, 2]);
	await source.snapshot();
	await source.snapshot();
	expect([count('list_schedules'), count('get_schedule')]).toEqual([3, 2]);
	// An action's answer keeps the last run it does not carry.
	expect(await source.pauseSchedule('sched001')).toMatchObject({status: 'paused', lastRun: {outcome: 'completed'}});
	expect(client.calls.at(-1)).toEqual({tool: 'pause_schedule', args: {id: 'sched001'}});
});

test('a core that cannot list schedules still gives snapshots; task(id) asks task_status for one task', async () => {
	const task = makeTask({id: 'old00001', status: 'completed'});
	const client = fakeClient({
		task_status: args => (args['id'] ? {task} : {tasks: []}),
		fleet_status: () => busyFleet().fleet(),
		list_schedules: () => {
			throw new CliError('Unknown tool: list_schedules');
		},
	});
	const source = createMcpFleetSource(client);
	expect((await source.snapshot()).schedules).toEqual([]);
	expect(await source.task('old00001')).toBe(task);
	expect(client.calls.at(-1)).toEqual({tool: 'task_status', args: {id: 'old00001'}});
});

test('configure calls configure_fleet with only the fields given, null taking a limit away', async () => {
	const answer = {settings: {cpuThresholdPercent: 80, memoryReserveBytes: 1024 ** 3, workerMaxRssBytes: 4 * 1024 ** 3, dailyBudgetUsd: 25}, spentTodayUsd: 10.4};
	const client = fakeClient({configure_fleet: () => answer});
	const source = createMcpFleetSource(client);
	expect(await source.configure({dailyBudgetUsd: 25, maxWorkers: null})).toBe(answer);
	expect(client.calls).toEqual([{tool: 'configure_fleet', args: {dailyBudgetUsd: 25, maxWorkers: null}}]);
});
