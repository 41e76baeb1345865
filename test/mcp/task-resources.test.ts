import os from 'node:os';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {ErrorCode, McpError, ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {RESOURCE_CAPABILITIES, registerTaskResources} from '../../source/mcp/task-resources.js';
import {taskView} from '../../source/mcp/task-view.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

// Task resources and their subscriptions over the SDK's in-memory transport, on a fleet of fakes. Timers are faked
// (only setTimeout/clearTimeout, which the coalescing uses) so that the 100 ms windows are exact and countable.
let fleet: Fleet;
let driver: FakeWorkerDriver;
let server: McpServer;
let client: Client;
let dispose: () => void;
let updates: string[];
let listChanges: number;
let fleetErrors: string[];
/** Fleet listeners registered through fleet.on and not yet removed. */
let liveListeners: number;
const cwd = os.tmpdir();

beforeEach(async () => {
	vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout']});
	driver = new FakeWorkerDriver();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 1, staggerMs: 0},
	);
	await fleet.start();
	fleetErrors = [];
	fleet.on('fleet:error', ({message}) => fleetErrors.push(message));
	// Counts what registerTaskResources attaches, to see the disposer take all of it off again.
	liveListeners = 0;
	const on = fleet.on.bind(fleet);
	fleet.on = (event, listener) => {
		liveListeners++;
		const off = on(event, listener);
		let removed = false;
		return () => {
			if (!removed) liveListeners--;
			removed = true;
			off();
		};
	};
	server = new McpServer({name: 'ccfleet-test', version: '0.0.0'}, {capabilities: RESOURCE_CAPABILITIES});
	dispose = registerTaskResources(server, fleet);
	const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
	await server.connect(serverTransport);
	client = new Client({name: 'test-client', version: '1.0.0'});
	await client.connect(clientTransport);
	updates = [];
	listChanges = 0;
	client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => {
		updates.push(notification.params.uri);
	});
	client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
		listChanges++;
	});
});

afterEach(async () => {
	await client.close();
	vi.useRealTimers();
	expect(fleetErrors).toEqual([]);
});

const submit = (prompt: string) => fleet.submit({prompt, cwd});
/** Lets notifications already sent reach the client's handlers, without moving the clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);
const readTask = async (uri: string) => {
	const {contents} = await client.readResource({uri});
	expect(contents).toHaveLength(1);
	expect(contents[0]).toMatchObject({uri, mimeType: 'application/json'});
	return JSON.parse((contents[0] as {text: string}).text) as Record<string, unknown>;
};
const rejection = async (promise: Promise<unknown>): Promise<McpError> => {
	const error = await promise.then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(error).toBeInstanceOf(McpError);
	return error as McpError;
};

describe('task resources', () => {
	it('declares subscribe, listChanged and completions', () => {
		const capabilities = client.getServerCapabilities();
		expect(capabilities?.resources).toEqual({subscribe: true, listChanged: true});
		expect(capabilities?.completions).toBeDefined();
	});

	it('lists the template, and tasks newest first, titled by the first line of their prompt', async () => {
		const {resourceTemplates} = await client.listResourceTemplates();
		expect(resourceTemplates).toEqual([expect.objectContaining({name: 'task', uriTemplate: 'ccfleet://tasks/{id}', mimeType: 'application/json'})]);

		submit('\n  Fix the flaky login test  \nIt fails one run in ten.');
		submit(`Review ${'x'.repeat(200)}`);
		const {resources} = await client.listResources();
		expect(resources.map(resource => resource.uri)).toEqual(['ccfleet://tasks/t2', 'ccfleet://tasks/t1']);
		expect(resources[1]).toMatchObject({uri: 'ccfleet://tasks/t1', name: 'task t1', title: 'Fix the flaky login test', mimeType: 'application/json'});
		expect(resources[0]!.title).toHaveLength(80);
		expect(resources[0]!.title!.endsWith('…')).toBe(true);
	});

	it('lists only the newest 50 tasks', async () => {
		for (let i = 1; i <= 60; i++) submit(`task ${i}`);
		const {resources} = await client.listResources();
		expect(resources).toHaveLength(50);
		expect(resources[0]).toMatchObject({uri: 'ccfleet://tasks/t60', title: 'task 60'});
		expect(resources.at(-1)!.uri).toBe('ccfleet://tasks/t11');
	});

	it('completes task ids in the URI template', async () => {
		for (let i = 1; i <= 12; i++) submit(`task ${i}`);
		const {completion} = await client.complete({ref: {type: 'ref/resource', uri: 'ccfleet://tasks/{id}'}, argument: {name: 'id', value: 't1'}});
		expect(completion.values.sort()).toEqual(['t1', 't10', 't11', 't12']);
	});

	it('reads a task as the pretty-printed task_status JSON', async () => {
		const task = submit('Fix the build');
		const {contents} = await client.readResource({uri: 'ccfleet://tasks/t1'});
		const text = (contents[0] as {text: string}).text;
		expect(text).toBe(JSON.stringify(taskView(fleet, fleet.get(task.id)), null, 2));
		expect(await readTask('ccfleet://tasks/t1')).toMatchObject({id: 't1', status: 'running', workerState: 'busy', prompt: 'Fix the build'});
	});

	it('refuses an unknown id with InvalidParams saying where to find the ids', async () => {
		const error = await rejection(client.readResource({uri: 'ccfleet://tasks/nope'}));
		expect(error.code).toBe(ErrorCode.InvalidParams);
		expect(error.message).toMatch(/No task with id "nope"/);
		expect(error.message).toMatch(/resources\/list/);
		expect(error.message).toMatch(/task_status/);
	});

	it('refuses subscriptions to unknown tasks and to URIs of another form', async () => {
		const unknown = await rejection(client.subscribeResource({uri: 'ccfleet://tasks/nope'}));
		expect(unknown.code).toBe(ErrorCode.InvalidParams);
		expect(unknown.message).toMatch(/No task with id "nope".*subscribe/);
		for (const uri of ['https://example.com/tasks/t1', 'ccfleet://tasks/', 'ccfleet://tasks/t1/logs', 'ccfleet://workers/t1', `ccfleet://tasks/${'x'.repeat(500)}`]) {
			const bad = await rejection(client.subscribeResource({uri}));
			expect(bad.code, uri).toBe(ErrorCode.InvalidParams);
			expect(bad.message, uri).toContain('ccfleet://tasks/{id}');
		}
		const badUnsubscribe = await rejection(client.unsubscribeResource({uri: 'nonsense'}));
		expect(badUnsubscribe.message).toContain('ccfleet://tasks/{id}');
		// Unsubscribing from a well-formed URI that was never subscribed is harmless.
		await expect(client.unsubscribeResource({uri: 'ccfleet://tasks/nope'})).resolves.toEqual({});
	});

	it('announces a change of a subscribed task, and only of subscribed tasks', async () => {
		submit('first');
		submit('second');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		await flush();
		expect(updates).toEqual([]);

		// t1 ends, which starts t2: both change, only t1 is subscribed.
		driver.worker('t1').finish('ok');
		await flush();
		expect(updates).toEqual(['ccfleet://tasks/t1']);
		expect(await readTask('ccfleet://tasks/t1')).toMatchObject({status: 'completed', result: 'ok'});
		expect(await readTask('ccfleet://tasks/t2')).toMatchObject({status: 'running'});

		// The trailing edge of the window announces the rest of the burst (idle, then completed) once.
		await vi.advanceTimersByTimeAsync(100);
		expect(updates).toEqual(['ccfleet://tasks/t1', 'ccfleet://tasks/t1']);
		await vi.advanceTimersByTimeAsync(1000);
		driver.worker('t2').listener.onState('needs_input', {toolName: 'Bash', toolInput: {command: 'ls'}, question: 'Run ls?'});
		await vi.advanceTimersByTimeAsync(1000);
		expect(updates.filter(uri => uri !== 'ccfleet://tasks/t1')).toEqual([]);
	});

	it('stops announcing after unsubscribe, including a trailing announcement already due', async () => {
		submit('watched');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		const worker = driver.worker('t1');
		worker.listener.onState('idle');
		worker.listener.onState('busy');
		await flush();
		expect(updates).toHaveLength(1);
		await client.unsubscribeResource({uri: 'ccfleet://tasks/t1'});
		await vi.advanceTimersByTimeAsync(500);
		worker.finish('done');
		await vi.advanceTimersByTimeAsync(500);
		expect(updates).toHaveLength(1);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('folds a burst of 50 changes within 100 ms into at most 2 notifications, the last change included', async () => {
		submit('busy worker');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		const worker = driver.worker('t1');
		for (let i = 0; i < 50; i++) {
			worker.listener.onOutput(`line ${i}\n`);
			if (i % 2 === 0) worker.listener.onState(i % 4 === 0 ? 'idle' : 'busy');
			else worker.listener.onUsage({costUsd: i / 100, tokens: {input: i, output: i, cacheRead: 0, cacheCreation: 0}});
			await vi.advanceTimersByTimeAsync(1); // 50 ms in all
		}
		await vi.advanceTimersByTimeAsync(1000);
		expect(updates.length).toBeGreaterThanOrEqual(1);
		expect(updates.length).toBeLessThanOrEqual(2);
		// What a client reads after the last notification is the last change.
		expect(updates.every(uri => uri === 'ccfleet://tasks/t1')).toBe(true);
		// What a client reads after the last notification is the last change (state idle at i = 48, cost at i = 49).
		expect(await readTask('ccfleet://tasks/t1')).toMatchObject({costUsd: 0.49, workerState: 'idle'});

		// A change after the window is announced again at once.
		const before = updates.length;
		worker.listener.onState('busy');
		await flush();
		expect(updates).toHaveLength(before + 1);
	});

	it('announces new tasks with list_changed, throttled the same way', async () => {
		for (let i = 0; i < 20; i++) submit(`new ${i}`);
		await flush();
		expect(listChanges).toBe(1);
		await vi.advanceTimersByTimeAsync(100);
		expect(listChanges).toBe(2);
		await vi.advanceTimersByTimeAsync(1000);
		expect(listChanges).toBe(2);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('detaches from the fleet and leaves no timers once disposed', async () => {
		submit('watched');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		driver.worker('t1').listener.onState('idle');
		submit('queued');
		await flush();
		expect(updates).toHaveLength(1);
		expect(vi.getTimerCount()).toBeGreaterThan(0);
		expect(liveListeners).toBe(3);

		dispose();
		dispose();
		expect(liveListeners).toBe(0);
		expect(vi.getTimerCount()).toBe(0);
		driver.worker('t1').finish('done');
		submit('another');
		await vi.advanceTimersByTimeAsync(1000);
		expect(updates).toHaveLength(1);
		expect(listChanges).toBe(1);
		expect(vi.getTimerCount()).toBe(0);
		// Reads still work: only the live part (listeners, timers, subscriptions) is gone.
		expect(await readTask('ccfleet://tasks/t1')).toMatchObject({status: 'completed'});
	});

	it('disposes by itself when the connection closes, and swallows sends to a closed connection', async () => {
		submit('watched');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		driver.worker('t1').listener.onState('idle');
		expect(vi.getTimerCount()).toBeGreaterThan(0);
		await client.close();
		expect(vi.getTimerCount()).toBe(0);
		expect(liveListeners).toBe(0);
		driver.worker('t1').finish('done');
		await vi.advanceTimersByTimeAsync(1000);
		expect(updates).toHaveLength(1);
	});

	it('never throws into the fleet when the connection is gone but nobody disposed', async () => {
		submit('watched');
		await client.subscribeResource({uri: 'ccfleet://tasks/t1'});
		// As if whoever owns the connection replaced onclose and forgot to call the disposer.
		server.server.onclose = undefined;
		await client.close();
		const worker = driver.worker('t1');
		worker.listener.onState('idle');
		worker.listener.onState('busy');
		submit('created after the close');
		await vi.advanceTimersByTimeAsync(1000);
		worker.finish('done');
		await vi.advanceTimersByTimeAsync(1000);
		expect(fleetErrors).toEqual([]);
		expect(fleet.get('t1').status).toBe('completed');
		dispose();
		expect(vi.getTimerCount()).toBe(0);
	});
});
