import os from 'node:os';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import {ResourceUpdatedNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import type {WorkerHandle, WorkerListener, WorkerSpec} from '../../source/core/ports/worker-driver.js';
import {createScheduler, type Scheduler} from '../../source/core/scheduler.js';
import {fleetCounters} from '../../source/mcp/fleet-counters.js';
import {FEED_FLUSH_MS, SCREEN_CHECK_MS} from '../../source/mcp/fleet-feed.js';
import {FLEET_URI, fleetChangesOf, type FleetChanges} from '../../source/protocol/fleet-changes.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

// The fleet resource's feed, end to end through the MCP server a connection gets, over the SDK's in-memory transport,
// on a fleet of fakes. setTimeout is faked so that the 100 ms windows are exact and notifications countable.

/** Workers whose screens the test draws. */
class ScreenDriver extends FakeWorkerDriver {
	readonly screens = new Map<string, string[]>();

	override start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return {...super.start(spec, listener), screen: () => this.screens.get(spec.taskId) ?? []};
	}
}

let fleet: Fleet;
let scheduler: Scheduler;
let clock: FakeClock;
let driver: ScreenDriver;
let client: Client;
/** The change sets the client received, in order. */
let received: FleetChanges[];
/** Fleet and scheduler listeners attached and not yet removed. */
let liveListeners: number;
/** Those the connection holds without the feed (its task resources). */
let baseListeners: number;
const cwd = os.tmpdir();

/** Counts what a `on` attaches and what its returned `off` removes. */
function countListeners<T extends {on: (...args: never[]) => () => void}>(target: T): void {
	const on = target.on.bind(target);
	target.on = (...args: never[]) => {
		liveListeners++;
		const off = on(...args);
		let isRemoved = false;
		return () => {
			if (!isRemoved) liveListeners--;
			isRemoved = true;
			off();
		};
	};
}

beforeEach(async () => {
	vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout']});
	clock = new FakeClock(Date.UTC(2026, 10, 23, 9, 30));
	driver = new ScreenDriver();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 2, staggerMs: 0},
	);
	await fleet.start();
	scheduler = createScheduler(
		{store: new MemoryScheduleStore(), clock, ids: {scheduleId: () => `s${Math.random().toString(36).slice(2, 6)}`}, fleet},
		{defaultTimezone: 'UTC'},
	);
	scheduler.start();
	liveListeners = 0;
	countListeners(fleet);
	countListeners(scheduler);
	const server = createFleetMcpServer(fleet, {scheduler});
	const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
	await server.connect(serverTransport);
	client = new Client({name: 'test-dashboard', version: '1.0.0'});
	await client.connect(clientTransport);
	baseListeners = liveListeners;
	received = [];
	client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => {
		if (notification.params.uri !== FLEET_URI) return;
		const changes = fleetChangesOf(notification.params._meta);
		expect(changes).toBeDefined();
		received.push(changes!);
	});
});

afterEach(async () => {
	await client.close();
	scheduler.stop();
	vi.useRealTimers();
});

/** Lets what is due now run, and notifications already sent reach the client, without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(1);
const submit = (prompt: string, priority: 'P0' | 'P1' | 'P2' = 'P1') => fleet.submit({prompt, cwd, priority});

describe('the fleet feed', () => {
	it('is a resource that reads as fleet_status and tells nothing until subscribed', async () => {
		const {resources} = await client.listResources();
		expect(resources).toContainEqual(expect.objectContaining({uri: FLEET_URI, name: 'fleet', mimeType: 'application/json'}));
		const {contents} = await client.readResource({uri: FLEET_URI});
		expect(JSON.parse((contents[0] as {text: string}).text)).toMatchObject({workers: {running: 0, allowed: 2}, queued: 0, system: {cpuPercent: expect.any(Number)}});
		submit('unheard');
		await vi.advanceTimersByTimeAsync(1000);
		expect(received).toEqual([]);
		expect(liveListeners).toBe(baseListeners);
	});

	it('sends the first change at once, with the task whole, the counters, and nothing else', async () => {
		await client.subscribeResource({uri: FLEET_URI});
		submit('Fix the build');
		await settle();
		expect(received).toHaveLength(1);
		const [changes] = received;
		expect(changes!.tasks).toEqual([expect.objectContaining({id: 't1', status: 'running', prompt: 'Fix the build', workerState: 'busy'})]);
		expect(changes!.fleet).toEqual(fleetCounters(fleet));
		expect(changes!.fleet).toMatchObject({workers: {running: 1, allowed: 2}, counts: {running: 1}});
		expect(changes!.schedules).toEqual([]);
	});

	it('coalesces a flood of events into at most one notification per 100 ms, the last change never lost', async () => {
		await client.subscribeResource({uri: FLEET_URI});
		submit('busy one');
		submit('busy two');
		await settle();
		received = [];
		const [one, two] = [driver.worker('t1'), driver.worker('t2')];
		// 1,000 chunks of output in one second, and a cost update from one of the workers every 10 ms.
		for (let ms = 0; ms < 1000; ms += 10) {
			for (let chunk = 0; chunk < 10; chunk++) (chunk % 2 === 0 ? one : two).listener.onOutput(`line ${ms}.${chunk}\n`);
			one.listener.onUsage({costUsd: ms / 1000, tokens: {input: ms, output: 1, cacheRead: 0, cacheCreation: 0}});
			await vi.advanceTimersByTimeAsync(10);
		}
		await vi.advanceTimersByTimeAsync(FEED_FLUSH_MS);
		expect(received.length).toBeGreaterThanOrEqual(1000 / FEED_FLUSH_MS - 1);
		expect(received.length).toBeLessThanOrEqual(1000 / FEED_FLUSH_MS + 1);
		for (const changes of received) expect(changes.output.sort()).toEqual(['t1', 't2']);
		// Only the worker whose task changed comes whole; the other only says it wrote.
		expect(new Set(received.flatMap(changes => changes.tasks.map(task => task.id)))).toEqual(new Set(['t1']));
		expect(received.flatMap(changes => changes.tasks).at(-1)).toMatchObject({id: 't1', costUsd: 0.99});
		// Nothing happens, nothing is sent.
		const count = received.length;
		await vi.advanceTimersByTimeAsync(5000);
		expect(received).toHaveLength(count);
	});

	it("announces a live worker's screen when it changed, looked at every 250 ms, and a still one not again", async () => {
		await client.subscribeResource({uri: FLEET_URI});
		submit('draws');
		submit('sits still');
		driver.screens.set('t1', ['frame 0']);
		driver.screens.set('t2', ['waiting']);
		await vi.advanceTimersByTimeAsync(SCREEN_CHECK_MS + FEED_FLUSH_MS);
		received = [];
		// The screen of t1 changes every millisecond for a second; t2's never.
		for (let ms = 1; ms <= 1000; ms++) {
			driver.screens.set('t1', [`frame ${ms}`]);
			await vi.advanceTimersByTimeAsync(1);
		}
		// The last change is seen at the next look.
		await vi.advanceTimersByTimeAsync(SCREEN_CHECK_MS + FEED_FLUSH_MS);
		const outputs = received.map(changes => changes.output);
		expect(outputs.length).toBeGreaterThanOrEqual(1000 / SCREEN_CHECK_MS);
		expect(outputs.length).toBeLessThanOrEqual(1000 / SCREEN_CHECK_MS + 2);
		for (const output of outputs) expect(output).toEqual(['t1']);
		received = [];
		await vi.advanceTimersByTimeAsync(2000);
		expect(received).toEqual([]);
	});

	it('sends the queued tasks whose place moved when another task jumps the queue', async () => {
		await client.subscribeResource({uri: FLEET_URI});
		for (const prompt of ['run 1', 'run 2', 'wait 1', 'wait 2', 'wait 3']) submit(prompt, 'P2');
		await vi.advanceTimersByTimeAsync(FEED_FLUSH_MS);
		received = [];
		fleet.reprioritize('t5', 'P0');
		await settle();
		expect(received).toHaveLength(1);
		const places = Object.fromEntries(received[0]!.tasks.map(task => [task.id, [task.priority, task.queuePosition]]));
		expect(places).toEqual({t5: ['P0', 1], t3: ['P2', 2], t4: ['P2', 3]});
		expect(received[0]!.fleet).toMatchObject({queued: 3, ready: 3});
	});

	it('sends a changed schedule whole, with its latest run', async () => {
		await client.subscribeResource({uri: FLEET_URI});
		const schedule = scheduler.create({task: {prompt: 'hourly check', cwd}, cron: '0 * * * *', timezone: 'UTC'});
		await settle();
		expect(received.at(-1)!.schedules).toEqual([expect.objectContaining({id: schedule.id, status: 'active', nextRunAt: '2026-11-23T10:00:00.000Z'})]);
		received = [];
		clock.advance(30 * 60_000);
		await vi.advanceTimersByTimeAsync(FEED_FLUSH_MS);
		const fired = received.flatMap(changes => changes.schedules);
		expect(fired.at(-1)).toMatchObject({id: schedule.id, nextRunAt: '2026-11-23T11:00:00.000Z', lastRun: {taskId: 't1', outcome: 'started'}});
		expect(received.flatMap(changes => changes.tasks.map(task => task.id))).toContain('t1');
	});

	it('stops on unsubscribe and when the connection closes, leaving no listener behind', async () => {
		await client.subscribeResource({uri: FLEET_URI});
		expect(liveListeners).toBeGreaterThan(baseListeners);
		await client.unsubscribeResource({uri: FLEET_URI});
		expect(liveListeners).toBe(baseListeners);
		submit('after unsubscribe');
		await vi.advanceTimersByTimeAsync(1000);
		expect(received).toEqual([]);
		await client.subscribeResource({uri: FLEET_URI});
		await client.subscribeResource({uri: FLEET_URI});
		submit('subscribed twice, told once');
		await settle();
		expect(received).toHaveLength(1);
		await client.close();
		await settle();
		expect(liveListeners).toBe(0);
		submit('after the close');
		await vi.advanceTimersByTimeAsync(1000);
		expect(received).toHaveLength(1);
	});

	it('still serves task subscriptions beside it', async () => {
		const task = submit('watched');
		const updates: string[] = [];
		client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => {
			updates.push(notification.params.uri);
		});
		await client.subscribeResource({uri: `ccfleet://tasks/${task.id}`});
		driver.worker(task.id).finish('done');
		await vi.advanceTimersByTimeAsync(FEED_FLUSH_MS);
		expect(updates).toContain(`ccfleet://tasks/${task.id}`);
		expect(updates).not.toContain(FLEET_URI);
	});
});
