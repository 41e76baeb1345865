// Three hosts on one PostgreSQL, each a small loop over the adapters as the core would drive them (the design note's
// §4.3–4.4): claim when there is room, run (a timer stands in for the worker), write through a MirroredTaskStore,
// beat, take over what a silent host held. It proves that the pieces fit, not the core's wiring, which comes next.
import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {MirroredTaskStore} from '../../../source/adapters/postgres/mirrored-task-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import {transition, type Task} from '../../../source/core/domain/task.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

// A lease of ten beats: a live host keeps its tasks even when a loaded machine delays a few beats.
const LEASE_MS = 1_000;
const BEAT_MS = 100;
const SLOTS = 2;

class SimulatedHost {
	readonly ran: string[] = [];
	readonly errors: unknown[] = [];
	readonly #workers = new Map<string, NodeJS.Timeout>();
	#beat: NodeJS.Timeout | undefined;
	#isPumping = false;
	#isDead = false;

	private constructor(
		readonly id: string,
		readonly pool: pg.Pool,
		readonly store: MirroredTaskStore,
		readonly changes: ChangeFeed,
		readonly claims: TaskClaims,
		readonly workMs: number,
	) {}

	static async start(id: string, url: string, workMs: number): Promise<SimulatedHost> {
		const pool = await openPool(url, {applicationName: id, max: 4});
		// The store's callbacks reach the host, which needs the store to exist first.
		const late: {host?: SimulatedHost} = {};
		const changes = new ChangeFeed(url, {applicationName: `ccfleet mirror ${id}`});
		const store = await MirroredTaskStore.open(pool, changes, {
			hostId: id,
			// New work anywhere (a submit, a takeover) wakes the host.
			onRemoteChange: (task, _previous, holder) => {
				if (task.status === 'queued' && holder === undefined) late.host?.pump();
			},
			onLost: taskId => late.host?.stopWorker(taskId),
			onError: (message, cause) => late.host?.errors.push(`${message} (${String(cause)})`),
		});
		const host = new SimulatedHost(id, pool, store, changes, new TaskClaims(pool, {hostId: id, leaseMs: LEASE_MS}), workMs);
		late.host = host;
		host.#beat = setInterval(() => host.#heartbeat(), BEAT_MS);
		host.pump();
		return host;
	}

	/** Claims as many tasks as it has free slots, and starts them; one claim at a time. */
	pump(): void {
		if (this.#isPumping || this.#isDead || this.#workers.size >= SLOTS) return;
		this.#isPumping = true;
		this.claims
			.claim(SLOTS - this.#workers.size)
			.then(tasks => {
				if (this.#isDead) return 0;
				// The claim can come back before this host's mirror heard of the task's insert.
				this.store.adopt(tasks);
				for (const task of tasks) this.#run(task);
				return tasks.length;
			})
			.then(
				claimed => {
					this.#isPumping = false;
					if (claimed > 0) this.pump();
				},
				(error: unknown) => {
					this.#isPumping = false;
					if (!this.#isDead) this.errors.push(error);
				},
			);
	}

	stopWorker(taskId: string): void {
		clearTimeout(this.#workers.get(taskId));
		this.#workers.delete(taskId);
	}

	/** Dies as a machine does: no more beats, no more writes, its workers gone with it, its leases left to run out. */
	kill(): void {
		this.#isDead = true;
		clearInterval(this.#beat);
		for (const timer of this.#workers.values()) clearTimeout(timer);
		this.#workers.clear();
	}

	async stop(): Promise<void> {
		this.kill();
		this.store.close();
		await this.store.closed();
		await this.changes.stop();
		await this.pool.end();
	}

	#run(claimed: Task): void {
		const running = transition(claimed, 'running', Date.now(), {attempts: claimed.attempts + 1, resumePending: false});
		this.store.update(running);
		this.ran.push(claimed.id);
		this.#workers.set(
			claimed.id,
			setTimeout(() => {
				this.#workers.delete(claimed.id);
				this.store.update(transition(running, 'completed', Date.now(), {result: `done on ${this.id}`}));
				this.pump();
			}, this.workMs),
		);
	}

	#heartbeat(): void {
		// Only tasks claimed before the beat can be judged by its answer: one claimed meanwhile may be missing from it.
		const before = [...this.#workers.keys()];
		void Promise.all([this.claims.heartbeat(), this.claims.reclaimExpired()]).then(
			([held]) => {
				// Tasks this host runs but no longer holds were taken over: their workers stop here.
				for (const id of before) if (this.#workers.has(id) && !held.includes(id)) this.stopWorker(id);
				this.pump();
			},
			(error: unknown) => {
				if (!this.#isDead) this.errors.push(error);
			},
		);
	}
}

const server = usePostgres();
let url: string;
let admin: pg.Pool;
let rows: PostgresTaskStore;
let hosts: SimulatedHost[] = [];

beforeEach(async () => {
	url = await server().createDatabase();
	admin = await openPool(url);
	await migrate(admin);
	rows = new PostgresTaskStore(admin);
});

afterEach(async () => {
	await Promise.all(hosts.map(host => host.stop()));
	hosts = [];
	await admin.end();
});

async function submit(count: number, via: SimulatedHost): Promise<string[]> {
	const ids = Array.from({length: count}, (_, index) => `t${String(index).padStart(2, '0')}`);
	for (const [index, id] of ids.entries()) via.store.insert(minimalTask(id, {createdAt: index}));
	await via.store.flush();
	return ids;
}

async function completed(): Promise<Task[]> {
	return rows.list({statuses: ['completed']});
}

describe('three hosts on one PostgreSQL', () => {
	it('share the work one of them was given, each task run once', async () => {
		hosts = await Promise.all(['h0', 'h1', 'h2'].map(id => SimulatedHost.start(id, url, 100)));
		const ids = await submit(24, hosts[0]!);
		await waitFor('every task to complete', async () => (await completed()).length === ids.length);
		const ran = hosts.flatMap(host => host.ran);
		expect([...ran].sort()).toEqual(ids);
		expect(hosts.map(host => host.ran.length).every(count => count > 0)).toBe(true);
		expect(hosts.flatMap(host => host.errors)).toEqual([]);
		// Every other host's mirror shows the end of every task, whoever ran it.
		await waitFor('every mirror to show every task completed', () => hosts.every(host => host.store.list({statuses: ['completed']}).length === ids.length));
	});

	it('finish the tasks of a host that died while running them, on the other hosts', async () => {
		hosts = await Promise.all(['h0', 'h1', 'h2'].map(id => SimulatedHost.start(id, url, 250)));
		const ids = await submit(9, hosts[0]!);
		const victim = hosts[2]!;
		await waitFor('the victim to run something', () => victim.ran.length > 0);
		await victim.store.flush();
		victim.kill();
		const orphans = [...victim.ran];
		await waitFor('every task to complete', async () => (await completed()).length === ids.length, 20_000);
		for (const id of orphans) {
			const history = await hosts[0]!.claims.history(id);
			expect(history.map(({event, hostId}) => `${event}:${hostId}`).slice(0, 2)).toEqual(['claimed:h2', 'lease-expired:h2']);
			expect(history.at(-1)?.hostId).not.toBe('h2');
			const task = await rows.get(id);
			expect(task?.result).not.toBe('done on h2');
			expect(task?.attempts).toBe(2);
		}
		expect(hosts.slice(0, 2).flatMap(host => host.errors)).toEqual([]);
	});
});
