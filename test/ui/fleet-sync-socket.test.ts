import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, expect, test} from 'vitest';
import {connectFleet} from '../../source/cli/client.js';
import type {Config} from '../../source/config.js';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import type {WorkerHandle, WorkerListener, WorkerSpec} from '../../source/core/ports/worker-driver.js';
import {createScheduler, type Scheduler} from '../../source/core/scheduler.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {listenOnSocket, type SocketListener} from '../../source/mcp/socket-server.js';
import {SocketTransport} from '../../source/mcp/socket-transport.js';
import {createMcpFleetSource, type McpFleetSource} from '../../source/ui/fleet-source.js';
import {startFleetSync, type FleetSync} from '../../source/ui/fleet-sync.js';
import {createDashboardStore, findTask, type DashboardStore} from '../../source/ui/store.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';
import {waitFor} from '../helpers/wait-for.js';

// The core and the dashboard's fleet sync over a real Unix socket, with polling set an hour apart: whatever reaches
// the store got there because the core pushed it.
const HOUR = 3_600_000;

/** Workers without a screen, so the Output pane shows the log: what they write is what the dashboard must fetch. */
class LogOnlyDriver extends FakeWorkerDriver {
	override start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return {...super.start(spec, listener), screen: () => []};
	}
}

let home: string;
let fleet: Fleet;
let scheduler: Scheduler;
let driver: LogOnlyDriver;
let listener: SocketListener | undefined;
let source: McpFleetSource | undefined;
let sync: FleetSync | undefined;
let config: Config;

async function serve(): Promise<SocketListener> {
	return listenOnSocket(config.socketPath, connection => {
		const server = createFleetMcpServer(fleet, {scheduler});
		void server.connect(new SocketTransport(connection));
	});
}

beforeEach(async () => {
	home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-sync-'));
	config = {socketPath: path.join(home, 'ccfleet.sock')} as Config;
	const clock = new FakeClock(Date.now());
	driver = new LogOnlyDriver();
	fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{maxWorkers: 1, staggerMs: 0},
	);
	await fleet.start();
	scheduler = createScheduler({store: new MemoryScheduleStore(), clock, ids: {scheduleId: () => 'sched001'}, fleet}, {defaultTimezone: 'UTC'});
	scheduler.start();
	listener = await serve();
});

afterEach(async () => {
	sync?.dispose();
	await source?.close();
	await listener?.close();
	scheduler.stop();
	await fleet.stop();
	rmSync(home, {recursive: true, force: true});
});

/** A dashboard's store fed by the fleet sync over the socket; counts the snapshots it takes. */
async function dashboard(options: {pollSnapshotMs?: number} = {}): Promise<{store: DashboardStore; snapshots: () => number}> {
	const client = await connectFleet(config, {startDaemon: false, name: 'test-dashboard'});
	source = createMcpFleetSource(client, {reconnect: () => connectFleet(config, {startDaemon: false, name: 'test-dashboard'})});
	let snapshots = 0;
	const snapshot = source.snapshot.bind(source);
	source.snapshot = snapshotOptions => {
		snapshots++;
		return snapshot(snapshotOptions);
	};
	const store = createDashboardStore();
	sync = startFleetSync(source, store, {fallbackSnapshotMs: HOUR, pollSnapshotMs: options.pollSnapshotMs ?? HOUR, pollOutputMs: HOUR});
	await waitFor('the first snapshot', () => store.getState().snapshot);
	expect(sync.isLive()).toBe(true);
	return {store, snapshots: () => snapshots};
}

test('a task submitted in the core, its output and a new schedule reach the store through notifications, with no poll', async () => {
	const {store, snapshots} = await dashboard();
	const task = fleet.submit({prompt: 'Pushed to the dashboard', cwd: home});
	await waitFor('the new task in the store', () => findTask(store.getState(), task.id)?.status === 'running');
	expect(store.getState().workers.map(shown => shown.id)).toEqual([task.id]);
	expect(store.getState().snapshot?.fleet.workers).toEqual({running: 1, allowed: 1});
	// It is selected (the only worker), so what it writes is fetched because the core said it wrote.
	driver.worker(task.id).listener.onOutput('first words from the worker\n');
	await waitFor('its output in the store', () => store.getState().output?.lines.includes('first words from the worker'));
	fleet.submit({prompt: 'Waits for a worker', cwd: home});
	await waitFor('the second task in the queue', () => store.getState().queue.length === 1);
	scheduler.create({task: {prompt: 'Every morning', cwd: home}, cron: '0 9 * * *'});
	await waitFor('the schedule in the store', () => store.getState().schedules.some(schedule => schedule.id === 'sched001'));
	driver.worker(task.id).finish('done');
	await waitFor('the task done, the next one running', () => findTask(store.getState(), task.id)?.status === 'completed' && store.getState().queue.length === 0);
	expect(snapshots()).toBe(1);
});

test('a lost core makes the dashboard poll; once the core is back it pushes again and a snapshot catches up', async () => {
	const {store, snapshots} = await dashboard({pollSnapshotMs: 100});
	await listener!.close();
	await waitFor('the push to stop', () => !sync!.isLive());
	await waitFor('the lost core in the status bar', () => store.getState().connectionError);
	const polled = snapshots();
	// What changes while no one listens is caught up by the snapshot after the reconnection.
	const missed = fleet.submit({prompt: 'Made while the dashboard was away', cwd: home});
	listener = await serve();
	await waitFor('the push to run again', () => sync!.isLive());
	await waitFor('the missed task in the store', () => findTask(store.getState(), missed.id));
	expect(store.getState().connectionError).toBeUndefined();
	const caughtUp = snapshots();
	expect(caughtUp).toBeGreaterThan(polled);
	const pushed = fleet.submit({prompt: 'Made after the reconnection', cwd: home});
	await waitFor('the pushed task in the store', () => findTask(store.getState(), pushed.id));
	// Back on push, the polling stopped: at most the snapshot the reconnection was made in and the catch-up one.
	expect(snapshots() - caughtUp).toBeLessThanOrEqual(1);
});
