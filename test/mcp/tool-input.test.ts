import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {ListRootsRequestSchema, type ServerNotification} from '@modelcontextprotocol/sdk/types.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {createScheduler, type Scheduler} from '../../source/core/scheduler.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {increasingProgress} from '../../source/mcp/tools/tool-registry.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

// Every tool's arguments, the calling session's directory as the default cwd, and the size of answers, over the SDK's
// in-memory transport on a fleet and scheduler of fakes.
let fleet: Fleet;
let scheduler: Scheduler;
let driver: FakeWorkerDriver;
let project: string;
const clients: Client[] = [];

type Result = {isError?: boolean; content: {type: string; text: string}[]; structuredContent?: Record<string, unknown>};
type ClientOptions = {roots?: string[]; statedCwd?: string};

/** A client as Claude Code is one (declaring roots and answering roots/list), or as the bridge would state its directory. */
async function connect(options: ClientOptions = {}): Promise<(name: string, args: Record<string, unknown>) => Promise<Result>> {
	const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
	await createFleetMcpServer(fleet, {scheduler}).connect(serverTransport);
	const capabilities = {
		...(options.roots ? {roots: {listChanged: true}} : {}),
		...(options.statedCwd ? {experimental: {ccfleet: {cwd: options.statedCwd}}} : {}),
	};
	const client = new Client({name: 'claude-code', version: '2.1.330'}, {capabilities});
	if (options.roots) {
		const roots = options.roots.map(root => ({uri: pathToFileURL(root).href, name: path.basename(root)}));
		client.setRequestHandler(ListRootsRequestSchema, () => ({roots}));
	}
	await client.connect(clientTransport);
	clients.push(client);
	return async (name, args) => (await client.callTool({name, arguments: args})) as Result;
}

const text = (result: Result) => result.content.map(part => part.text).join('\n');

beforeEach(async () => {
	project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-session-'));
	driver = new FakeWorkerDriver();
	const clock = new FakeClock();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 1, staggerMs: 0},
	);
	await fleet.start();
	let n = 0;
	scheduler = createScheduler({store: new MemoryScheduleStore(), clock, ids: {scheduleId: () => `s${++n}`}, fleet}, {defaultTimezone: 'UTC'});
	scheduler.start();
});

afterEach(async () => {
	for (const client of clients.splice(0)) await client.close();
	scheduler.stop();
	rmSync(project, {recursive: true, force: true});
});

describe('delegate_task and the schedule tools without cwd', () => {
	it("run a main session's task in the first root its client declares (Claude Code's project directory)", async () => {
		const call = await connect({roots: [project, os.tmpdir()]});
		const delegated = await call('delegate_task', {prompt: 'Fix the build'});
		expect(delegated.isError, text(delegated)).toBeFalsy();
		expect(delegated.structuredContent!['task']).toMatchObject({cwd: project, status: 'running'});
		const scheduled = await call('schedule_task', {prompt: 'Nightly', cron: '0 2 * * *'});
		expect(scheduled.isError, text(scheduled)).toBeFalsy();
		expect((scheduled.structuredContent!['schedule'] as {task: {cwd: string}}).task.cwd).toBe(project);
		const pipeline = await call('schedule_pipeline', {steps: ['one', 'two'], delay: '5m'});
		expect(pipeline.isError, text(pipeline)).toBeFalsy();
		expect((pipeline.structuredContent!['schedules'] as Array<{task: {cwd: string}; pipeline: {delayMs: number}}>)[0]).toMatchObject({
			task: {cwd: project},
			pipeline: {delayMs: 300_000},
		});
	});

	it('run it in the directory a client without roots states at initialize (what `ccfleet mcp` can add: its own directory)', async () => {
		const call = await connect({statedCwd: project});
		const delegated = await call('delegate_task', {prompt: 'Fix the build'});
		expect(delegated.structuredContent!['task']).toMatchObject({cwd: project});
	});

	it('keep a cwd given explicitly, and refuse, naming cwd, when the session says nothing', async () => {
		const withRoots = await connect({roots: [project]});
		const explicit = await withRoots('delegate_task', {prompt: 'Elsewhere', cwd: os.tmpdir()});
		expect(explicit.structuredContent!['task']).toMatchObject({cwd: os.tmpdir()});
		const silent = await connect();
		const refused = await silent('delegate_task', {prompt: 'Where?'});
		expect(refused.isError).toBe(true);
		expect(text(refused)).toBe(
			'cwd is missing, and this client declares no roots (nor a directory at initialize) to take it from. Give cwd: the absolute path of the project directory the worker should run in.',
		);
	});
});

describe('arguments', () => {
	it('refuses an unknown field on every tool, naming it and the accepted ones, instead of dropping it', async () => {
		const call = await connect({roots: [project]});
		const misspelt = await call('task_status', {taskId: 't1'});
		expect(misspelt.isError).toBe(true);
		expect(text(misspelt)).toBe('Unknown field taskId; did you mean id? task_status accepts: id, status, limit, fullPrompt.');
		const {tools} = await clients[0]!.listTools();
		for (const tool of tools) {
			const result = await call(tool.name, {bogusField: 1});
			expect(result.isError, tool.name).toBe(true);
			expect(text(result), tool.name).toMatch(new RegExp(`^Unknown field bogusField\\. ${tool.name} accepts: `));
		}
	});

	it('never passes on the SDK prefixes, for a bad value, a missing field or an unknown tool', async () => {
		const call = await connect({roots: [project]});
		const cases: Array<[string, Record<string, unknown>, string]> = [
			['delegate_task', {prompt: 'x', mode: 'turbo'}, 'mode "turbo" is not accepted; use one of pty, headless.'],
			[
				'delegate_task',
				{prompt: 'x', permissionMode: 'x'},
				'permissionMode "x" is not accepted; use one of default, acceptEdits, plan, auto, dontAsk, bypassPermissions.',
			],
			['delegate_task', {prompt: 'x', timeoutMs: 'soon'}, 'timeoutMs is "soon"; give a positive duration: milliseconds (1800000) or with a unit (90s, 30m, 2h).'],
			['task_logs', {}, 'task_logs needs id (A task id'],
			['task_status', {status: ['done']}, 'status[0] "done" is not accepted; use one of queued, running, needs_input, parked, completed, failed, cancelled, skipped.'],
			['no_such_tool', {}, 'Unknown tool no_such_tool.'],
		];
		for (const [tool, args, message] of cases) {
			const result = await call(tool, args);
			expect(result.isError, tool).toBe(true);
			expect(text(result)).not.toMatch(/MCP error|Input validation error/);
			expect(text(result).startsWith(message), `${tool}: ${text(result)}`).toBe(true);
		}
	});

	it('takes durations, sizes and amounts as the CLI does', async () => {
		const call = await connect({roots: [project]});
		const result = await call('delegate_task', {prompt: 'x', timeoutMs: '30m', maxOutputBytes: '5MB', maxBudgetUsd: '$2'});
		expect(result.structuredContent!['task']).toMatchObject({timeoutMs: 1_800_000, maxBudgetUsd: 2});
		expect(fleet.get('t1').maxOutputBytes).toBe(5 * 1024 ** 2);
		const waited = await call('wait_for_task', {ids: ['t1'], timeout: '1s'});
		expect(waited.isError, text(waited)).toBeFalsy();
		const configured = await call('configure_fleet', {memoryReserveBytes: '2GB', dailyBudgetUsd: '$25'});
		expect(configured.isError, text(configured)).toBeFalsy();
		expect(configured.structuredContent!['settings']).toMatchObject({memoryReserveBytes: 2 * 1024 ** 3, dailyBudgetUsd: 25});
	});

	it('filters task_status by every status at once, and says why manage_queue cannot make a running task depend', async () => {
		const call = await connect({roots: [project]});
		await call('delegate_task', {prompt: 'runs'});
		await call('delegate_task', {prompt: 'waits'});
		const all = await call('task_status', {status: ['queued', 'running', 'needs_input', 'parked', 'completed', 'failed', 'cancelled', 'skipped']});
		expect(all.isError, text(all)).toBeFalsy();
		expect((all.structuredContent!['tasks'] as unknown[]).length).toBe(2);
		const depend = await call('manage_queue', {action: 'depend', id: 't1', dependsOn: ['t2']});
		expect(text(depend)).toBe('Task t1 is running; only a queued task can be made to depend on other tasks.');
	});
});

describe('the tool list', () => {
	it('a main session carries in every request (alwaysLoad) stays under 10 KB, with no $schema or bounds repeated', async () => {
		await connect();
		const {tools} = await clients[0]!.listTools();
		const modelFacing = tools.map(tool => ({name: tool.name, description: tool.description, input_schema: tool.inputSchema}));
		expect(tools.length).toBeGreaterThanOrEqual(19);
		expect(Buffer.byteLength(JSON.stringify(modelFacing))).toBeLessThan(10_000);
		const listed = JSON.stringify(modelFacing);
		expect(listed).not.toMatch(/"\$schema"|"maxLength"|"maximum"/);
		// Descriptions stay where they teach: the roles, the units a field takes.
		// Roles are open (a user's own from the config directory): the field points at list_roles.
		expect(listed).toContain('"role":{"description":"See list_roles.","type":"string"}');
		expect(listed).toContain('ms or \\"30m\\"');
	});
});

describe('answers', () => {
	const prompt = `Opening words. ${'Review every change in this diff. '.repeat(1800)}`; // about 60 KB

	it('shorten a long prompt (the whole of it on request), and carry a result or log once, not again in the text', async () => {
		const call = await connect({roots: [project]});
		await call('delegate_task', {prompt});
		driver.worker('t1').listener.onOutput('line one\nline two\n');
		driver.worker('t1').finish('All reviewed.');
		await new Promise(resolve => setImmediate(resolve));

		const status = await call('task_status', {id: 't1'});
		expect(JSON.stringify(status).length).toBeLessThan(6000);
		const view = status.structuredContent!['task'] as {prompt: string; result: string; checkpoint?: {takenAt: string; result?: string}};
		expect(view.prompt).toMatch(/… \(61,215 characters; task_status \{"id":"t1","fullPrompt":true\} has it all\)$/);
		expect(view.result).toBe('All reviewed.');
		// The checkpoint's time is ISO like every other; its result is the task's, shown once.
		expect(view.checkpoint?.takenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
		expect(view.checkpoint?.result).toBeUndefined();
		expect(text(status)).toBe('Task t1 is completed.');

		const full = await call('task_status', {id: 't1', fullPrompt: true});
		expect((full.structuredContent!['task'] as {prompt: string}).prompt).toBe(prompt);

		const waited = await call('wait_for_task', {ids: ['t1']});
		expect(JSON.stringify(waited).length).toBeLessThan(6000);
		expect(JSON.stringify(waited).split('Opening words.').length - 1).toBe(1);

		const logs = await call('task_logs', {id: 't1'});
		expect(logs.structuredContent!['log']).toContain('line two');
		expect(text(logs)).not.toContain('line two');
	});
});

describe('progress', () => {
	it('goes out strictly increasing, even when a tool reports the same count again', async () => {
		const sent: ServerNotification[] = [];
		const send = increasingProgress(async notification => {
			sent.push(notification);
		});
		for (const progress of [0, 0, 1, 1, 3]) await send({method: 'notifications/progress', params: {progressToken: 'p', progress, total: 3, message: `${progress}`}});
		expect(sent.map(notification => notification.params)).toEqual([
			{progressToken: 'p', progress: 0, total: 3, message: '0'},
			{progressToken: 'p', progress: 1, message: '0'},
			{progressToken: 'p', progress: 2, message: '1'},
			{progressToken: 'p', progress: 3, message: '1'},
			{progressToken: 'p', progress: 4, message: '3'},
		]);
	});

	it('of a real wait_for_task increases with every notification', async () => {
		const call = await connect({roots: [project]});
		await call('delegate_task', {prompt: 'slow'});
		const seen: number[] = [];
		await clients[0]!.callTool({name: 'wait_for_task', arguments: {ids: ['t1'], timeout: 11_500}}, undefined, {
			onprogress: progress => seen.push(progress.progress),
			timeout: 20_000,
		});
		expect(seen.length).toBeGreaterThanOrEqual(2);
		for (let index = 1; index < seen.length; index++) expect(seen[index]!).toBeGreaterThan(seen[index - 1]!);
	}, 20_000);
});
