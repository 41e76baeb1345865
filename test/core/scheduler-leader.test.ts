// Several hosts share one fleet's schedules: only the leader's scheduler fires, each due time once (claimed first),
// while the lead changes hands and while two hosts both believe they lead. The store and the claims are shared in
// memory here (PostgreSQL's are proven in test/adapters/postgres and test/e2e/multi-host-schedules.test.ts).
import {describe, expect, it} from 'vitest';
import type {Schedule, ScheduleRun} from '../../source/core/domain/schedule.js';
import {createFleet} from '../../source/core/fleet.js';
import type {FiringClaim, ScheduleFiring} from '../../source/core/ports/schedule-firing.js';
import {createScheduler, type Scheduler} from '../../source/core/scheduler.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const MINUTE = 60_000;
const cwd = '/work';
const everyMinute = {task: {prompt: 'tick', cwd}, cron: '* * * * *', timezone: 'UTC'};

/** Claims as the shared database keeps them: the first host to claim a due time wins it. */
class SharedClaims {
	readonly claims = new Map<string, {host: string; at: number}>();
	constructor(readonly clock: FakeClock) {}
}

class MemoryFiring implements ScheduleFiring {
	#isLeader: boolean;
	readonly #listeners = new Set<(isLeader: boolean) => void>();
	constructor(
		readonly hostId: string,
		readonly shared: SharedClaims,
		isLeader: boolean,
	) {
		this.#isLeader = isLeader;
	}

	isLeader(): boolean {
		return this.#isLeader;
	}

	onLeaderChange(listener: (isLeader: boolean) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	setLeader(isLeader: boolean): void {
		this.#isLeader = isLeader;
		for (const listener of this.#listeners) listener(isLeader);
	}

	async claim(scheduleId: string, dueAt: number): Promise<FiringClaim> {
		await Promise.resolve();
		const key = `${scheduleId}@${dueAt}`;
		const held = this.shared.claims.get(key);
		if (held && held.host !== this.hostId) return {won: false, by: held.host, at: held.at};
		this.shared.claims.set(key, {host: this.hostId, at: this.shared.clock.now()});
		return {won: true};
	}
}

/** Lets the claims' promises settle (they resolve on microtasks and the next turn). */
const settle = () => new Promise(resolve => setImmediate(resolve));

/** `separateStores`: each host has a store of its own that hears nothing from the others (mirrors lagging behind). */
async function fleetOfHosts(leaders: boolean[], separateStores = false) {
	const clock = new FakeClock(Date.UTC(2026, 10, 30, 9, 0, 30));
	const driver = new FakeWorkerDriver();
	// One fleet stands for the shared tasks: what matters here is which scheduler fires, and how often.
	const fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{staggerMs: 0, maxWorkers: 64},
	);
	await fleet.start();
	const store = new MemoryScheduleStore();
	const shared = new SharedClaims(clock);
	let n = 0;
	const hosts = leaders.map((isLeader, index) => {
		const firing = new MemoryFiring(`h${index}`, shared, isLeader);
		const own = separateStores ? new MemoryScheduleStore() : store;
		const scheduler: Scheduler = createScheduler({store: own, clock, ids: {scheduleId: () => `s${++n}`}, fleet, firing}, {defaultTimezone: 'UTC'});
		scheduler.start();
		return {firing, scheduler, store: own};
	});
	/** What the shared store's change feed does: every other host hears of a change. */
	const heard = (from: number, change: {schedule?: Schedule; run?: ScheduleRun}) => hosts.forEach((host, index) => index !== from && host.scheduler.remoteChanged(change));
	const advance = async (ms: number) => {
		clock.advance(ms);
		await settle();
		await settle();
	};
	/** A minute at a time (a claim resolves between the clock's steps, as it would on a real one), each task done within it. */
	const minutes = async (count: number) => {
		const finish = () => driver.started.forEach(worker => worker.exited || worker.finish('done'));
		for (let minute = 0; minute < count; minute++) {
			finish();
			await advance(MINUTE);
			finish();
		}
	};
	return {clock, driver, fleet, store, shared, hosts, heard, advance, minutes};
}

describe('Scheduler across hosts', () => {
	it('fires only on the leader; a schedule created on another host fires there once the leader hears of it', async () => {
		const {hosts, heard, advance, minutes, store, fleet} = await fleetOfHosts([true, false, false]);
		const schedule = hosts[2]!.scheduler.create(everyMinute);
		// Before the leader heard of it nothing fires, however much time passes on the host that made it.
		await advance(MINUTE);
		expect(fleet.list()).toHaveLength(0);
		heard(2, {schedule});
		await advance(0);
		expect(fleet.list()).toHaveLength(1);
		await minutes(2);
		expect(store.runs(schedule.id).map(run => run.scheduledFor)).toEqual([1, 2, 3].map(minute => Date.UTC(2026, 10, 30, 9, minute)));
		expect(fleet.list()).toHaveLength(3);
	});

	it('hands firing over when the lead changes hands, and the new leader settles the runs the old one left', async () => {
		const {hosts, advance, minutes, store, fleet, driver} = await fleetOfHosts([true, false]);
		const schedule = hosts[0]!.scheduler.create(everyMinute);
		await advance(MINUTE);
		expect(store.runs(schedule.id).map(run => run.outcome)).toEqual(['started']);
		hosts[0]!.firing.setLeader(false);
		hosts[1]!.firing.setLeader(true);
		driver.worker('t1').finish('done');
		await advance(MINUTE);
		expect(store.runs(schedule.id).map(run => [run.taskId, run.outcome])).toEqual([
			['t1', 'completed'],
			['t2', 'started'],
		]);
		await minutes(1);
		expect(fleet.list().map(task => task.id)).toEqual(['t1', 't2', 't3']);
	});

	it('fires each due time once when three hosts all believe they lead and none hears the others', async () => {
		const {hosts, minutes, fleet} = await fleetOfHosts([true, true, true], true);
		// The same schedule in every host's own store, which then never hears what another host fired.
		const schedule = hosts[0]!.scheduler.create(everyMinute);
		for (const host of hosts.slice(1)) host.store.insert(schedule);
		for (const host of hosts.slice(1)) host.scheduler.remoteChanged({schedule});
		await minutes(5);
		const fired = fleet.list().map(task => new Date(task.createdAt).toISOString().slice(11, 16));
		expect(fired).toEqual(['09:01', '09:02', '09:03', '09:04', '09:05']);
	});

	it('records a due time as not started when the host that claimed it stopped before firing it, and goes on', async () => {
		const {hosts, advance, minutes, store, shared, fleet} = await fleetOfHosts([false, true]);
		const schedule = hosts[1]!.scheduler.create(everyMinute);
		// A host that then died claimed the first due time.
		shared.claims.set(`${schedule.id}@${Date.UTC(2026, 10, 30, 9, 1)}`, {host: 'gone', at: Date.UTC(2026, 10, 30, 9, 1)});
		await advance(MINUTE);
		expect(fleet.list()).toHaveLength(0);
		for (let second = 0; second < 31; second++) await advance(1_000);
		const [missed] = store.runs(schedule.id);
		expect(missed).toMatchObject({outcome: 'not-started', scheduledFor: Date.UTC(2026, 10, 30, 9, 1)});
		expect(missed!.detail).toContain('Host gone claimed this due time');
		await minutes(1);
		expect(store.runs(schedule.id).map(run => [new Date(run.scheduledFor).toISOString().slice(11, 16), run.outcome])).toEqual([
			['09:01', 'not-started'],
			['09:02', 'completed'],
			['09:03', 'completed'],
		]);
		expect(fleet.list()).toHaveLength(2);
	});
});
