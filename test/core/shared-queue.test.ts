import {describe, expect, it} from 'vitest';
import {isTerminal, type Task} from '../../source/core/domain/task.js';
import {createFleet, type FleetOptions} from '../../source/core/fleet.js';
import type {AdmissionPolicy} from '../../source/core/fleet/admission.js';
import type {TaskCoordinator} from '../../source/core/ports/task-coordinator.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';

const LEASE_MS = 3000;
const HELD = new Set(['queued', 'running', 'needs_input', 'parked']);

/** The shared database in memory: one task store for every host, and who holds which task. */
class SharedDatabase {
	readonly store = new MemoryTaskStore();
	readonly holders = new Map<string, string>();
	readonly claims: {host: string; max: number; got: string[]}[] = [];
	readonly released: string[] = [];
	readonly #work = new Set<() => void>();

	coordinator(hostId: string): TaskCoordinator & {inFlight: number; maxInFlight: number; lost: (id: string, holder: string) => void} {
		const lostListeners = new Set<(id: string, holder: string | undefined) => void>();
		const held = () => [...this.holders].filter(([id, host]) => host === hostId && HELD.has(this.store.get(id)!.status)).map(([id]) => id);
		const coordinator = {
			hostId,
			leaseMs: LEASE_MS,
			inFlight: 0,
			maxInFlight: 0,
			claim: async (max: number) => {
				coordinator.inFlight++;
				coordinator.maxInFlight = Math.max(coordinator.maxInFlight, coordinator.inFlight);
				await Promise.resolve();
				coordinator.inFlight--;
				const runnable = this.#queued().filter(task => (task.dependsOn ?? []).every(id => this.store.get(id)?.status === 'completed'));
				return this.#take(hostId, runnable.slice(0, max), max);
			},
			claimDoomed: async (max: number) => {
				const doomed = this.#queued().filter(task => (task.dependsOn ?? []).some(id => this.store.get(id)?.status === 'failed'));
				for (const task of doomed.slice(0, max)) this.holders.set(task.id, hostId);
				return doomed.slice(0, max);
			},
			heartbeat: async () => held(),
			reclaimExpired: async () => [],
			release: async (ids?: readonly string[]) => {
				for (const id of ids ?? held()) {
					this.holders.delete(id);
					this.released.push(id);
				}
				return [];
			},
			held: async () => held(),
			onWork: (listener: () => void) => {
				this.#work.add(listener);
				return () => this.#work.delete(listener);
			},
			onLost: (listener: (id: string, holder: string | undefined) => void) => {
				lostListeners.add(listener);
				return () => lostListeners.delete(listener);
			},
			lost: (id: string, holder: string) => {
				for (const listener of lostListeners) listener(id, holder);
			},
		};
		return coordinator;
	}

	/** A NOTIFY: every host hears that work may be claimable. */
	announce(): void {
		for (const listener of this.#work) listener();
	}

	#queued(): Task[] {
		return this.store.list({statuses: ['queued']}).filter(task => !this.holders.has(task.id));
	}

	#take(hostId: string, tasks: Task[], max: number): Task[] {
		for (const task of tasks) this.holders.set(task.id, hostId);
		this.claims.push({host: hostId, max, got: tasks.map(task => task.id)});
		return tasks;
	}
}

function host(database: SharedDatabase, hostId: string, options: Partial<FleetOptions> = {}, admissionPolicies: AdmissionPolicy[] = []) {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver();
	const output = new MemoryOutputLog();
	const coordinator = database.coordinator(hostId);
	let n = 0;
	const ids = {taskId: () => `${hostId}-${++n}`, sessionId: () => `00000000-0000-4000-8000-${hostId.padStart(6, '0')}${String(++n).padStart(6, '0')}`};
	const fleet = createFleet(
		{store: database.store, output, driver, clock, system: new FakeSystemMonitor(), ids, coordinator, admissionPolicies},
		{staggerMs: 0, maxWorkers: 2, ...options},
	);
	return {fleet, clock, driver, output, coordinator};
}

/** Lets the claims' promises settle. */
async function settle(): Promise<void> {
	for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve));
}

describe('Fleet on a shared store (a coordinator)', () => {
	it('inserts a submitted task unheld, then claims it by the pump and runs it', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a');
		await a.fleet.start();
		const task = a.fleet.submit({prompt: 'do it', cwd: '/work'});
		expect(database.store.get(task.id)).toMatchObject({status: 'queued', attempts: 0});
		expect(a.fleet.queueOrder()).toEqual([]);
		await settle();
		expect(database.holders.get(task.id)).toBe('a');
		expect(a.driver.started.map(worker => worker.spec.taskId)).toEqual([task.id]);
		a.driver.worker(task.id).finish('done');
		expect(database.store.get(task.id)).toMatchObject({status: 'completed', attempts: 1});
	});

	it('claims no more than admission would start now, one claim at a time, and shares the queue between hosts', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a', {maxWorkers: 2});
		const b = host(database, 'b', {maxWorkers: 2});
		await a.fleet.start();
		await b.fleet.start();
		const tasks = Array.from({length: 10}, (_, i) => a.fleet.submit({prompt: `task ${i}`, cwd: '/work'}));
		await settle();
		database.announce();
		await settle();
		for (;;) {
			const live = [...a.driver.started, ...b.driver.started].filter(worker => !worker.exited);
			if (live.length === 0) break;
			for (const worker of live) worker.finish('ok');
			await settle();
		}
		expect(tasks.map(task => database.store.get(task.id)!.status)).toEqual(tasks.map(() => 'completed'));
		expect(tasks.every(task => database.store.get(task.id)!.attempts === 1)).toBe(true);
		const ran = [...a.driver.started, ...b.driver.started].map(worker => worker.spec.taskId).sort();
		expect(ran).toEqual(tasks.map(task => task.id).sort());
		expect(a.driver.started.length).toBeGreaterThan(0);
		expect(b.driver.started.length).toBeGreaterThan(0);
		expect(database.claims.every(claim => claim.max <= 2)).toBe(true);
		expect(a.coordinator.maxInFlight).toBe(1);
		expect(b.coordinator.maxInFlight).toBe(1);
	});

	it('claims nothing while admission holds starts, and claims when the hold ends (its time, or a worker ending)', async () => {
		const database = new SharedDatabase();
		const holding = {until: 0};
		const hold: AdmissionPolicy = {
			name: 'test-hold',
			check: ({now}) => (now < holding.until ? {admit: false, reason: 'held by the test', until: holding.until} : {admit: true}),
		};
		const a = host(database, 'a', {maxWorkers: 1}, [hold]);
		await a.fleet.start();
		holding.until = a.clock.now() + 10_000;
		const held = a.fleet.submit({prompt: 'held', cwd: '/work'});
		await settle();
		expect(database.holders.has(held.id)).toBe(false);
		a.clock.advance(10_000);
		await settle();
		expect(database.holders.get(held.id)).toBe('a');
		expect(a.driver.started.map(worker => worker.spec.taskId)).toEqual([held.id]);
		// At the ceiling: the next task stays for any host until this one ends.
		const next = a.fleet.submit({prompt: 'next', cwd: '/work'});
		await settle();
		expect(database.holders.has(next.id)).toBe(false);
		a.driver.worker(held.id).finish('ok');
		await settle();
		expect(database.holders.get(next.id)).toBe('a');
		expect(a.driver.started.map(worker => worker.spec.taskId)).toEqual([held.id, next.id]);
	});

	it('stops the worker of a task the heartbeat says it lost, writing nothing of it, with a line in its log', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a');
		await a.fleet.start();
		const task = a.fleet.submit({prompt: 'long', cwd: '/work'});
		await settle();
		expect(database.store.get(task.id)!.status).toBe('running');
		// Another host took it over (a's lease ran out while it stalled) and runs it now.
		database.holders.set(task.id, 'b');
		database.store.update({...database.store.get(task.id)!, updatedAt: 1});
		a.clock.advance(LEASE_MS / 3);
		await settle();
		expect(a.driver.worker(task.id).exited).toBe(true);
		expect(a.driver.worker(task.id).stopReasons[0]).toMatch(/lost/);
		expect(database.store.get(task.id)).toMatchObject({status: 'running', updatedAt: 1});
		expect(a.output.read(task.id).text).toMatch(/host a lost this task/);
		expect(a.fleet.workers()).toEqual([]);
		await expect(a.fleet.cancel(task.id, {by: 'test'})).rejects.toThrow(/not held by this host \(a\)/);
	});

	it('stops the worker of a task whose write was fenced out (onLost)', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a');
		await a.fleet.start();
		const task = a.fleet.submit({prompt: 'long', cwd: '/work'});
		await settle();
		database.holders.set(task.id, 'b');
		a.coordinator.lost(task.id, 'b');
		await settle();
		expect(a.driver.worker(task.id).exited).toBe(true);
		expect(database.store.get(task.id)!.status).toBe('running');
		expect(a.output.read(task.id).text).toMatch(/host b takes it on/);
	});

	it('recovers at start only the tasks this host holds', async () => {
		const database = new SharedDatabase();
		const base = {
			cwd: '/work',
			priority: 'P1',
			permissionMode: 'acceptEdits',
			mode: 'pty',
			timeoutMs: 60_000,
			attempts: 1,
			costUsd: 0,
			createdAt: 1,
			updatedAt: 1,
			startedAt: 1,
		} as const;
		const tokens = {input: 0, output: 0, cacheRead: 0, cacheCreation: 0};
		database.store.insert({...base, id: 'mine', prompt: 'mine', sessionId: '00000000-0000-4000-8000-000000000001', status: 'running', tokens});
		database.store.insert({...base, id: 'theirs', prompt: 'theirs', sessionId: '00000000-0000-4000-8000-000000000002', status: 'running', tokens});
		database.holders.set('mine', 'a');
		database.holders.set('theirs', 'b');
		const a = host(database, 'a');
		const report = await a.fleet.start();
		expect(report).toMatchObject({restarted: 1});
		await settle();
		expect(database.store.get('theirs')).toMatchObject({status: 'running', attempts: 1});
		expect(a.driver.started.map(worker => worker.spec.taskId)).toEqual(['mine']);
	});

	it('gives back on stop the tasks it claimed but did not start', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a', {maxWorkers: 2, staggerMs: 10_000});
		await a.fleet.start();
		const first = a.fleet.submit({prompt: 'one', cwd: '/work'});
		await settle();
		const second = a.fleet.submit({prompt: 'two', cwd: '/work'});
		await settle();
		// The stagger holds the second start; the claim went ahead, so the task waits here, held.
		expect(database.holders.get(second.id)).toBe('a');
		expect(a.fleet.queueOrder()).toEqual([second.id]);
		await a.fleet.stop();
		expect(database.released).toEqual([second.id]);
		expect(database.store.get(first.id)).toMatchObject({status: 'queued', resumePending: true});
	});

	it('ends a task whose dependency failed on another host (claimDoomed and the gate)', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a', {maxWorkers: 1});
		await a.fleet.start();
		const dependency = a.fleet.submit({prompt: 'first', cwd: '/work'});
		const dependent = a.fleet.submit({prompt: 'second', cwd: '/work', dependsOn: [dependency.id]});
		await settle();
		a.driver.worker(dependency.id).exit({exitCode: 1, signal: null, error: 'broke'});
		await settle();
		database.announce();
		await settle();
		expect(database.store.get(dependency.id)!.status).toBe('failed');
		const ended = database.store.get(dependent.id)!;
		expect(isTerminal(ended.status)).toBe(true);
		expect(ended.failureReason).toMatch(/dependency/);
		expect(a.driver.started.map(worker => worker.spec.taskId)).toEqual([dependency.id]);
	});
});
