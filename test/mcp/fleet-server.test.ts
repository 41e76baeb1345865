import os from 'node:os';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

// The MCP tools over the SDK's in-memory transport, on a fleet of fakes; test/e2e drives them over the socket.
let fleet: Fleet;
let driver: FakeWorkerDriver;
let output: MemoryOutputLog;
let client: Client;
const cwd = os.tmpdir();

beforeEach(async () => {
	driver = new FakeWorkerDriver();
	output = new MemoryOutputLog();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output, driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 1, staggerMs: 0},
	);
	await fleet.start();
	const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
	await createFleetMcpServer(fleet).connect(serverTransport);
	client = new Client({name: 'test-client', version: '1.0.0'});
	await client.connect(clientTransport);
});

afterEach(async () => {
	await client.close();
});

type Result = {isError?: boolean; content: {type: string; text: string}[]; structuredContent?: Record<string, unknown>};
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({name, arguments: args})) as Result;
const text = (result: Result) => result.content.map(part => part.text).join('\n');

describe('the MCP tools', () => {
	it('lists delegate_task, task_status, task_logs and cancel_task with descriptions and schemas', async () => {
		const {tools} = await client.listTools();
		expect(tools.map(tool => tool.name).sort()).toEqual(['cancel_task', 'delegate_task', 'task_logs', 'task_status']);
		for (const tool of tools) expect(tool.description!.length).toBeGreaterThan(40);
		const delegate = tools.find(tool => tool.name === 'delegate_task')!;
		expect(delegate.inputSchema.required).toEqual(['prompt', 'cwd']);
	});

	it('delegates a task and reports it, with a text copy of the structured result', async () => {
		const result = await call('delegate_task', {prompt: 'Fix the build', cwd, priority: 'P0', timeout: 60_000});
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent!.task).toMatchObject({id: 't1', status: 'running', priority: 'P0', timeoutMs: 60_000, workerState: 'busy'});
		expect(text(result)).toContain('Task t1 is running');
		const queued = await call('delegate_task', {prompt: 'Second', cwd});
		expect(queued.structuredContent!.task).toMatchObject({id: 't2', status: 'queued', queuePosition: 1});

		driver.worker('t1').listener.onOutput('› Fix the build\nfixed it\n');
		driver.worker('t1').finish('The build is fixed.');
		const status = await call('task_status', {id: 't1'});
		expect(status.structuredContent!.task).toMatchObject({status: 'completed', result: 'The build is fixed.', exitCode: 0});
		const all = await call('task_status', {});
		expect((all.structuredContent!.tasks as unknown[]).length).toBe(2);
		expect(all.structuredContent!.counts).toMatchObject({completed: 1, running: 1});
		const logs = await call('task_logs', {id: 't1', tail: 2});
		expect(logs.structuredContent).toMatchObject({id: 't1', log: 'fixed it\n', truncated: false});
	});

	it('cancels a task and records which client did it and why', async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		await call('delegate_task', {prompt: 'b', cwd});
		const result = await call('cancel_task', {id: 't2', reason: 'duplicate'});
		expect(result.structuredContent!.task).toMatchObject({status: 'cancelled', cancelledBy: 'mcp:test-client', failureReason: 'duplicate'});
		const again = await call('cancel_task', {id: 't2'});
		expect(again.isError).toBe(true);
		expect(text(again)).toContain('already ended (cancelled)');
	});

	it('answers malformed input of every kind with a clear isError, and keeps serving', async () => {
		const cases: [string, Record<string, unknown>, RegExp][] = [
			['delegate_task', {prompt: 42, cwd}, /prompt/],
			['delegate_task', {prompt: 'x'}, /cwd/],
			['delegate_task', {}, /prompt/],
			['delegate_task', {prompt: '', cwd}, /prompt/],
			['delegate_task', {prompt: 'x', cwd: 'relative/path'}, /cwd must be an absolute path, got "relative\/path"/],
			['delegate_task', {prompt: 'x', cwd: '/no/such/dir/anywhere'}, /does not exist/],
			['delegate_task', {prompt: 'x', cwd, priority: 'urgent'}, /priority/],
			['delegate_task', {prompt: 'x', cwd, timeout: -1}, /timeout/],
			['delegate_task', {prompt: 'x', cwd, permissionMode: 'yolo'}, /permissionMode/],
			['delegate_task', {prompt: 'x'.repeat(16 * 1024 * 1024 + 1), cwd}, /prompt/],
			['task_status', {id: 'nope'}, /No task with id "nope"/],
			['task_status', {id: 7}, /id/],
			['task_status', {limit: 'ten'}, /limit/],
			['task_logs', {}, /id/],
			['task_logs', {id: 'nope'}, /No task with id "nope"/],
			['task_logs', {id: 't1', tail: 0}, /tail/],
			['cancel_task', {id: 'nope'}, /No task with id "nope"/],
			['cancel_task', {id: 'x'.repeat(10_000)}, /id/],
		];
		for (const [tool, args, message] of cases) {
			const result = await call(tool, args);
			expect(result.isError, `${tool} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
			expect(text(result)).toMatch(message);
		}
		expect(fleet.list()).toHaveLength(0);
		const ok = await call('delegate_task', {prompt: 'still here', cwd});
		expect(ok.isError).toBeFalsy();
	});

	it('takes 100 concurrent delegations as 100 distinct tasks', async () => {
		const results = await Promise.all(Array.from({length: 100}, (_, i) => call('delegate_task', {prompt: `task ${i}`, cwd})));
		const ids = new Set(results.map(result => (result.structuredContent!.task as {id: string}).id));
		expect(ids.size).toBe(100);
		expect(fleet.list()).toHaveLength(100);
	});
});
