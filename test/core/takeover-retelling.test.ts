import {describe, expect, it} from 'vitest';
import type {Task} from '../../source/core/domain/task.js';
import {createFleet} from '../../source/core/fleet.js';
import {PROGRESS_EVERY_BEATS, PROGRESS_LINE_CHARS, PROGRESS_TAIL_CHARS} from '../../source/core/fleet/progress-checkpoints.js';
import type {TakenOver, TaskCoordinator} from '../../source/core/ports/task-coordinator.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';

// A task whose host is lost goes on elsewhere: while it runs, its holder keeps a progress checkpoint (its output tail)
// on the task; the host that takes it over retells it to a fresh conversation, or resumes the conversation when it can
// read it, and the task's log says which.
const LEASE_MS = 3000;
const HELD = new Set(['queued', 'running', 'needs_input', 'parked']);

/** The shared database in memory: one task store, who holds which task, and the takeovers a claim reports. */
class SharedDatabase {
	readonly store = new MemoryTaskStore();
	readonly holders = new Map<string, string>();
	readonly #takeovers = new Map<string, TakenOver>();
	/** Hosts that stopped beating: gone, though their fleets still exist in this process. */
	readonly #dead = new Set<string>();
	readonly #work = new Set<() => void>();
	/** Writes of each task to the store, by any host. */
	readonly writes = new Map<string, number>();

	constructor() {
		const update = this.store.update.bind(this.store);
		this.store.update = (task: Task) => {
			this.writes.set(task.id, (this.writes.get(task.id) ?? 0) + 1);
			update(task);
		};
	}

	coordinator(hostId: string): TaskCoordinator {
		const held = () => [...this.holders].filter(([id, host]) => host === hostId && HELD.has(this.store.get(id)!.status)).map(([id]) => id);
		const told = new Map<string, TakenOver>();
		return {
			hostId,
			leaseMs: LEASE_MS,
			claim: async (max: number) => {
				if (this.#dead.has(hostId)) return [];
				const tasks = this.store
					.list({statuses: ['queued']})
					.filter(task => !this.holders.has(task.id))
					.slice(0, max);
				for (const task of tasks) {
					this.holders.set(task.id, hostId);
					const from = this.#takeovers.get(task.id);
					if (from && task.attempts > 0) told.set(task.id, from);
				}
				return tasks;
			},
			claimDoomed: async () => [],
			takenOver: (taskId: string) => {
				const from = told.get(taskId);
				told.delete(taskId);
				return from;
			},
			heartbeat: async () => held(),
			reclaimExpired: async () => [],
			release: async () => [],
			held: async () => held(),
			onWork: (listener: () => void) => {
				this.#work.add(listener);
				return () => this.#work.delete(listener);
			},
			onLost: () => () => {},
		};
	}

	/** Host `hostId` stopped beating and its lease ran out: its running tasks are queued again for any host, as the adapter frees them. */
	expire(hostId: string, at: number): void {
		this.#dead.add(hostId);
		for (const [id, host] of [...this.holders]) {
			if (host !== hostId) continue;
			const task = this.store.get(id)!;
			this.holders.delete(id);
			const freed: Task = {...task, status: 'queued', resumePending: false};
			delete freed.worker;
			this.store.update(freed);
			this.#takeovers.set(id, {fromHost: hostId, at});
		}
		for (const listener of this.#work) listener();
	}

	/** A host that was lost starts again, with the same id. */
	revive(hostId: string): void {
		this.#dead.delete(hostId);
	}
}

function host(database: SharedDatabase, hostId: string) {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver();
	const output = new MemoryOutputLog();
	let n = 0;
	const ids = {taskId: () => `${hostId}-${++n}`, sessionId: () => `00000000-0000-4000-8000-${hostId.padStart(6, '0')}${String(++n).padStart(6, '0')}`};
	const fleet = createFleet(
		{store: database.store, output, driver, clock, system: new FakeSystemMonitor(), ids, coordinator: database.coordinator(hostId)},
		{staggerMs: 0, maxWorkers: 2},
	);
	return {fleet, clock, driver, output};
}

async function settle(): Promise<void> {
	for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve));
}

/** Lets `count` heartbeats of a host go by (each waits for the last one's answer, as the real timer does). */
async function beats(on: ReturnType<typeof host>, count: number): Promise<void> {
	for (let i = 0; i < count; i++) {
		on.clock.advance(LEASE_MS / 3);
		await settle();
	}
}

/** Host b runs a task and writes some output, then is lost; host a joins the fleet. */
async function lostOnB(options: {output?: string} = {}) {
	const database = new SharedDatabase();
	const b = host(database, 'b');
	await b.fleet.start();
	const task = b.fleet.submit({prompt: 'Refactor the parser [[reply:ok]]', cwd: '/work'});
	await settle();
	expect(database.store.get(task.id)!.status).toBe('running');
	if (options.output !== undefined) b.driver.worker(task.id).listener.onOutput(options.output);
	await beats(b, PROGRESS_EVERY_BEATS);
	database.expire('b', Date.UTC(2026, 10, 30, 9, 0, 0));
	const a = host(database, 'a');
	await a.fleet.start();
	await settle();
	return {database, a, b, task};
}

describe('progress checkpoints while a task runs on a shared fleet', () => {
	it('writes the output tail and session every few heartbeats, only when the output changed', async () => {
		const database = new SharedDatabase();
		const b = host(database, 'b');
		await b.fleet.start();
		const task = b.fleet.submit({prompt: 'long', cwd: '/work'});
		await settle();
		const worker = b.driver.worker(task.id);
		worker.listener.onOutput('read the code\nstep 1 done\n');
		for (let beat = 0; beat < PROGRESS_EVERY_BEATS && !database.store.get(task.id)!.checkpoint; beat++) await beats(b, 1);
		const first = database.store.get(task.id)!.checkpoint!;
		expect(first).toMatchObject({runningOn: 'b', sessionId: task.sessionId, outputTail: ['read the code', 'step 1 done']});
		expect(first.git).toBeUndefined();
		// Nothing new: more beats write nothing.
		const writes = database.writes.get(task.id);
		await beats(b, 2 * PROGRESS_EVERY_BEATS);
		expect(database.writes.get(task.id)).toBe(writes);
		expect(database.store.get(task.id)!.checkpoint).toEqual(first);
		worker.listener.onOutput('step 2 done\n');
		await beats(b, PROGRESS_EVERY_BEATS);
		expect(database.writes.get(task.id)).toBe(writes! + 1);
		expect(database.store.get(task.id)!.checkpoint!.outputTail).toEqual(['read the code', 'step 1 done', 'step 2 done']);
		// Its end replaces it with the ordinary checkpoint.
		worker.finish('done');
		await settle();
		expect(database.store.get(task.id)!.checkpoint).toMatchObject({result: 'done'});
		expect(database.store.get(task.id)!.checkpoint!.runningOn).toBeUndefined();
	});

	it('keeps the checkpoint small: long lines cut, the tail bounded', async () => {
		const database = new SharedDatabase();
		const b = host(database, 'b');
		await b.fleet.start();
		const task = b.fleet.submit({prompt: 'long', cwd: '/work'});
		await settle();
		const long = 'x'.repeat(5000);
		b.driver.worker(task.id).listener.onOutput(`${Array.from({length: 60}, (_, i) => `${i} ${long}`).join('\n')}\nlast line\n`);
		await beats(b, PROGRESS_EVERY_BEATS);
		const tail = database.store.get(task.id)!.checkpoint!.outputTail;
		expect(tail.at(-1)).toBe('last line');
		expect(tail.every(line => line.length <= PROGRESS_LINE_CHARS + 1)).toBe(true);
		expect(tail.join('\n').length).toBeLessThanOrEqual(PROGRESS_TAIL_CHARS);
		expect(tail.length).toBeGreaterThan(5);
	});
});

describe('a task taken over from a lost host', () => {
	it('starts a fresh conversation whose prompt retells the lost attempt: its host and its last output, then the task', async () => {
		const {a, task} = await lostOnB({output: 'Parser split into lexer.ts and grammar.ts\nNow updating the tests\n'});
		const worker = a.driver.worker(task.id);
		expect(worker.spec.resume).toBe(false);
		expect(worker.spec.sessionId).toBe(task.sessionId);
		const prompt = worker.spec.prompt;
		expect(prompt).toMatch(/^A previous attempt at this task on host b stopped when that host was lost \(its lease expired at 2026-11-30T09:00:00.000Z\)/);
		expect(prompt).toContain('Its last output (as of ');
		expect(prompt).toContain('Parser split into lexer.ts and grammar.ts\nNow updating the tests');
		expect(prompt).toContain('Go on from where it stopped; do not redo finished work.');
		expect(prompt.endsWith('---\n\nRefactor the parser [[reply:ok]]')).toBe(true);
		expect(a.output.read(task.id).text).toContain(
			"[ccfleet] taken over from host b after its lease expired (2026-11-30T09:00:00.000Z); its conversation is not on this host, so it restarted from its checkpoint's retelling.",
		);
		expect(a.fleet.get(task.id)).toMatchObject({status: 'running', attempts: 2});
		worker.finish('done');
		await settle();
		expect(a.fleet.get(task.id)).toMatchObject({status: 'completed', attempts: 2});
	});

	it('resumes the conversation instead when its transcript is reachable here', async () => {
		const database = new SharedDatabase();
		const b = host(database, 'b');
		await b.fleet.start();
		const task = b.fleet.submit({prompt: 'Refactor the parser', cwd: '/work'});
		await settle();
		b.driver.worker(task.id).listener.onOutput('halfway\n');
		await beats(b, PROGRESS_EVERY_BEATS);
		database.expire('b', Date.UTC(2026, 10, 30, 9, 0, 0));
		const a = host(database, 'a');
		// A home both hosts share: the conversation b wrote is on a's disk too.
		a.driver.resumable.add(task.sessionId);
		await a.fleet.start();
		await settle();
		const worker = a.driver.worker(task.id);
		expect(worker.spec.resume).toBe(true);
		expect(worker.spec.prompt).toMatch(
			/^The host that ran this task \(b\) was lost: its lease on the task expired at 2026-11-30T09:00:00.000Z, and the task was taken over\. This conversation goes on/,
		);
		expect(worker.spec.prompt).not.toContain('halfway');
		expect(a.output.read(task.id).text).toMatch(/taken over from host b after its lease expired .*; its conversation is reachable here, so it resumed its conversation\./);
	});

	it('resumes the conversation on the same host come back after its lease expired, saying so', async () => {
		const database = new SharedDatabase();
		const b = host(database, 'b');
		await b.fleet.start();
		const task = b.fleet.submit({prompt: 'Refactor the parser', cwd: '/work'});
		await settle();
		database.expire('b', Date.UTC(2026, 10, 30, 9, 0, 0));
		// b starts again (same id, same disk, so the conversation is there) before any other host takes the task.
		database.revive('b');
		const back = host(database, 'b');
		back.driver.resumable.add(task.sessionId);
		await back.fleet.start();
		await settle();
		const worker = back.driver.worker(task.id);
		expect(worker.spec.resume).toBe(true);
		expect(back.output.read(task.id).text).toMatch(
			/host b came back after its lease on this task expired .* and took it over again; its conversation is reachable here, so it resumed its conversation\./,
		);
	});

	it('says so when no checkpoint reached the database, and starts from the prompt with the lost attempt named', async () => {
		const {a, task} = await lostOnB();
		const prompt = a.driver.worker(task.id).spec.prompt;
		expect(prompt).toContain('A previous attempt at this task on host b stopped when that host was lost');
		expect(prompt).toContain('None of its output reached the shared database.');
		expect(a.output.read(task.id).text).toMatch(/no checkpoint of it reached the shared database, so it restarted from its prompt\./);
	});

	it('starts a task that never ran, or one claimed without a takeover, as before', async () => {
		const database = new SharedDatabase();
		const a = host(database, 'a');
		await a.fleet.start();
		const task = a.fleet.submit({prompt: 'plain [[reply:ok]]', cwd: '/work'});
		await settle();
		expect(a.driver.worker(task.id).spec.prompt).toBe('plain [[reply:ok]]');
		expect(a.output.read(task.id).text).not.toContain('taken over');
	});
});
