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
	it('lists every tool of the capabilities built so far, with descriptions and schemas', async () => {
		const {tools} = await client.listTools();
		expect(tools.map(tool => tool.name).sort()).toEqual([
			'cancel_task',
			'configure_fleet',
			'create_workflow',
			'delegate_task',
			'fleet_status',
			'list_questions',
			'list_roles',
			'list_workflow_templates',
			'manage_queue',
			'respond_to_task',
			'resume_task',
			'retry_task',
			'task_logs',
			'task_status',
			'wait_for_task',
			'worktrees',
		]);
		for (const tool of tools) expect(tool.description!.length).toBeGreaterThan(40);
		// Every answer has a declared shape, which the CLI and the dashboard read it through.
		for (const tool of tools) expect(tool.outputSchema?.type, tool.name).toBe('object');
		const delegate = tools.find(tool => tool.name === 'delegate_task')!;
		// cwd defaults to the calling session's directory (its roots).
		expect(delegate.inputSchema.required).toEqual(['prompt']);
	});

	it('delegates a task and reports it, with a text copy of the structured result', async () => {
		const result = await call('delegate_task', {prompt: 'Fix the build', cwd, priority: 'P0', timeoutMs: 60_000});
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
		const logs = await call('task_logs', {id: 't1', tail: 1});
		expect(logs.structuredContent).toMatchObject({id: 't1', log: 'fixed it\n', truncated: false});
		// `since` a byte count an earlier call returned: only what came after it.
		const first = Buffer.byteLength('› Fix the build\n');
		const after = await call('task_logs', {id: 't1', since: first});
		expect(after.structuredContent).toMatchObject({log: 'fixed it\n', bytes: (logs.structuredContent as {bytes: number}).bytes});
		expect(text(after)).toContain(`after byte ${first}`);
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
			['delegate_task', {prompt: 'x', cwd, timeoutMs: -1}, /timeoutMs/],
			['delegate_task', {prompt: 'x', cwd, timeout: 60_000}, /Unknown field timeout; did you mean timeoutMs\?/],
			['delegate_task', {prompt: 'x', cwd, maxOutputBuffer: 10}, /did you mean maxOutputBytes\?/],
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
			['wait_for_task', {ids: []}, /ids/],
			['wait_for_task', {ids: ['nope']}, /No task with id "nope"/],
			['wait_for_task', {ids: ['a'], timeout: 600_000}, /timeout/],
			['respond_to_task', {id: 'nope', action: 'approve'}, /No task with id "nope"/],
			['respond_to_task', {id: 'x', action: 'maybe'}, /action/],
			['retry_task', {id: 'nope'}, /No task with id "nope"/],
			['resume_task', {}, /id/],
			['manage_queue', {action: 'shuffle'}, /action/],
			['manage_queue', {action: 'remove'}, /needs the id of a queued task/],
			['delegate_task', {prompt: 'x', cwd, maxOutputBytes: 0}, /maxOutputBytes/],
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

describe('answering and waiting', () => {
	const question = {toolName: 'Bash', toolInput: {command: 'make'}, question: 'Allow Bash(make)?'};

	it('approves, denies, or types into a waiting worker', async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		const notWaiting = await call('respond_to_task', {id: 't1', action: 'approve'});
		expect(notWaiting.isError).toBe(true);
		expect(text(notWaiting)).toContain('not waiting for a permission answer');
		driver.worker('t1').listener.onState('needs_input', question);
		const status = await call('task_status', {id: 't1'});
		expect(status.structuredContent!.task).toMatchObject({status: 'needs_input', question});
		expect(text(await call('respond_to_task', {id: 't1', action: 'approve'}))).toContain('Approved Allow Bash(make)? for task t1');
		driver.worker('t1').listener.onState('needs_input', question);
		await call('respond_to_task', {id: 't1', action: 'deny', message: 'use the Makefile target instead'});
		await call('respond_to_task', {id: 't1', action: 'text', text: 'hello'});
		expect(driver.worker('t1').answers).toEqual([{behavior: 'allow'}, {behavior: 'deny', message: 'use the Makefile target instead'}]);
		expect(driver.worker('t1').written).toEqual(['hello\r']);
		expect((await call('respond_to_task', {id: 't1', action: 'text'})).isError).toBe(true);
	});

	it('waits until the tasks end and returns their results, with progress on the way', async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		const progress: string[] = [];
		const waiting = client.callTool({name: 'wait_for_task', arguments: {ids: ['t1']}}, undefined, {
			onprogress: event => progress.push(String(event.message)),
			timeout: 20_000,
		});
		await new Promise(resolve => setTimeout(resolve, 5_300));
		driver.worker('t1').finish('all good');
		const result = (await waiting) as Result;
		expect(result.structuredContent).toMatchObject({allDone: true, pending: [], tasks: [{id: 't1', status: 'completed', result: 'all good'}]});
		expect(text(result)).toContain('Task t1 completed. Result:\nall good');
		expect(progress.length).toBeGreaterThanOrEqual(1);
		expect(progress[0]).toMatch(/t1 running/);
	}, 20_000);

	it('returns early when a task needs input, and at its timeout with what is pending', async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		await call('delegate_task', {prompt: 'b', cwd});
		const short = await call('wait_for_task', {ids: ['t1', 't2'], timeout: 200});
		expect(short.structuredContent).toMatchObject({allDone: false, pending: ['t1', 't2']});
		expect(text(short)).toContain('call wait_for_task {"ids":["t1","t2"]} again');
		const waiting = call('wait_for_task', {ids: ['t1', 't2']});
		driver.worker('t1').listener.onState('needs_input', question);
		const early = await waiting;
		expect(early.structuredContent).toMatchObject({allDone: false, needsInput: ['t1']});
		expect(text(early)).toContain('respond_to_task {"id":"t1","action":"approve"}');
	});

	it('retries and resumes finished tasks, keeping the lineage', async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		driver.worker('t1').exit({exitCode: 2, signal: null});
		const retried = await call('retry_task', {id: 't1'});
		expect(retried.structuredContent!.task).toMatchObject({id: 't2'});
		driver.worker('t2').finish('done');
		driver.resumable.add(fleet.get('t2').sessionId);
		const resumed = await call('resume_task', {id: 't2', additionalContext: 'and document it'});
		expect(resumed.structuredContent).toMatchObject({resumedConversation: true});
		expect(text(resumed)).toContain('continues t2 and resumes its conversation');
		expect(fleet.get('t2').retryOf).toBe('t1');
		expect(fleet.get('t3').parentTaskId).toBe('t2');
	});

	it('lists, reprioritizes and removes queued tasks, and reports the fleet', async () => {
		for (const prompt of ['run', 'q1', 'q2']) await call('delegate_task', {prompt, cwd});
		const listed = await call('manage_queue', {action: 'list'});
		expect((listed.structuredContent!.queue as {id: string}[]).map(task => task.id)).toEqual(['t2', 't3']);
		await call('manage_queue', {action: 'reprioritize', id: 't3', priority: 'P0'});
		expect(fleet.queueOrder()).toEqual(['t3', 't2']);
		const removed = await call('manage_queue', {action: 'remove', id: 't2'});
		expect(removed.structuredContent!.task).toMatchObject({status: 'cancelled', failureReason: 'removed from the queue'});
		expect((await call('manage_queue', {action: 'remove', id: 't1'})).isError).toBe(true);
		driver.worker('t1').listener.onState('needs_input', question);
		const status = await call('fleet_status', {});
		expect(status.structuredContent).toMatchObject({workers: {running: 1, allowed: 1}, queued: 1, needsInput: [{id: 't1', question: 'Allow Bash(make)?'}]});
		expect(text(status)).toContain('1/1 workers running, 1 queued');
		expect(status.structuredContent!.admission).toMatchObject({
			maxWorkers: 1,
			cpuThresholdPercent: 80,
			spentTodayUsd: 0,
			heldBy: '1 of CCFLEET_MAX_WORKERS 1 workers run',
		});
	});

	it("changes the fleet's limits at run time with configure_fleet, shows them in fleet_status, and refuses values out of range", async () => {
		await call('delegate_task', {prompt: 'a', cwd});
		await call('delegate_task', {prompt: 'b', cwd});
		expect(driver.started).toHaveLength(1);
		// A main session waiting on the held task learns why it does not start.
		const waited = await call('wait_for_task', {ids: ['t2'], timeout: 50});
		expect(text(waited)).toContain('Task t2 is still queued: 1 of CCFLEET_MAX_WORKERS 1 workers run.');
		expect(waited.structuredContent).toMatchObject({heldBy: '1 of CCFLEET_MAX_WORKERS 1 workers run'});
		const shown = await call('configure_fleet', {});
		expect(shown.structuredContent).toMatchObject({settings: {maxWorkers: 1, cpuThresholdPercent: 80}, spentTodayUsd: 0});
		expect(text(shown)).toContain('Workers: at most 1.');
		const raised = await call('configure_fleet', {maxWorkers: 3, dailyBudgetUsd: 12.5});
		expect(raised.structuredContent!.settings).toMatchObject({maxWorkers: 3, dailyBudgetUsd: 12.5});
		// The start the old ceiling held goes at once.
		expect(driver.started).toHaveLength(2);
		const status = await call('fleet_status', {});
		expect(status.structuredContent!.admission).toMatchObject({maxWorkers: 3, dailyBudgetUsd: 12.5});
		const refused = await call('configure_fleet', {cpuThresholdPercent: 0});
		expect(refused.isError).toBe(true);
		expect(text(refused)).toContain('No new worker starts while CPU load is at or above this percentage: above 0, at most 100.');
		const unknown = await call('configure_fleet', {budget: 3});
		expect(unknown.isError).toBe(true);
		expect(text(unknown)).toContain('Unknown field budget. configure_fleet accepts: maxWorkers,');
		expect(fleet.settings()).toMatchObject({maxWorkers: 3, cpuThresholdPercent: 80});
	});
});
