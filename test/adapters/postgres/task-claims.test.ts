import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {PostgresTaskStore, TaskHeldElsewhereError, type Placement} from '../../../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import {TaskNotFoundError} from '../../../source/core/domain/errors.js';
import type {Task} from '../../../source/core/domain/task.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let pools: pg.Pool[] = [];
let store: PostgresTaskStore;

/** A pool of its own, as one host has. */
async function host(): Promise<pg.Pool> {
	const pool = await openPool(url);
	pools.push(pool);
	return pool;
}

async function add(id: string, changes: Partial<Task> = {}, placement?: Placement): Promise<void> {
	await store.insert(minimalTask(id, changes), placement);
}

const ids = (tasks: Task[]) => tasks.map(task => task.id);

beforeEach(async () => {
	url = await server().createDatabase();
	const pool = await host();
	await migrate(pool);
	store = new PostgresTaskStore(pool);
});

afterEach(async () => {
	await Promise.all(pools.map(pool => pool.end()));
	pools = [];
});

describe('claim', () => {
	it('gives each of 300 tasks to exactly one of three hosts claiming at once', async () => {
		const values = Array.from({length: 300}, (_, index) => `('t${index}', ${index})`).join(', ');
		const template = minimalTask('template');
		await store.insert(template);
		// One statement for 300 rows: copies of the template with their own id and age.
		await pools[0]!.query(
			`INSERT INTO tasks (id, prompt, cwd, priority, status, permission_mode, mode, timeout_ms, session_id, created_at, updated_at, attempts, cost_usd,
				tokens_input, tokens_output, tokens_cache_read, tokens_cache_creation)
			 SELECT v.id, prompt, cwd, priority, status, permission_mode, mode, timeout_ms, session_id || v.id, v.age, v.age, attempts, cost_usd,
				tokens_input, tokens_output, tokens_cache_read, tokens_cache_creation
			 FROM tasks, (VALUES ${values}) v (id, age) WHERE tasks.id = 'template'`,
		);
		await store.update({...template, status: 'cancelled'});
		const hosts = await Promise.all(['a', 'b', 'c'].map(async id => new TaskClaims(await host(), {hostId: id})));
		const claimedBy = new Map<string, string[]>();
		// Four claimers per host, each taking 1 to 5 at a time until nothing is left.
		await Promise.all(
			hosts.flatMap((claims, hostIndex) =>
				Array.from({length: 4}, async (_, loop) => {
					for (;;) {
						const got = await claims.claim(1 + ((hostIndex + loop) % 5));
						for (const task of got) claimedBy.set(task.id, [...(claimedBy.get(task.id) ?? []), claims.hostId]);
						if (got.length > 0) continue;
						const {rows} = await pools[0]!.query<{left: number}>("SELECT count(*)::integer AS left FROM tasks WHERE status = 'queued' AND host_id IS NULL");
						if (rows[0]?.left === 0) return;
					}
				}),
			),
		);
		expect(claimedBy.size).toBe(300);
		expect([...claimedBy.values()].filter(holders => holders.length !== 1)).toEqual([]);
		const perHost = hosts.map(claims => [...claimedBy.values()].filter(([holder]) => holder === claims.hostId).length);
		expect(perHost.reduce((sum, count) => sum + count, 0)).toBe(300);
		expect(perHost.every(count => count > 0)).toBe(true);
		const {rows} = await pools[0]!.query<{count: number}>("SELECT count(*)::integer AS count FROM task_claims WHERE event = 'claimed'");
		expect(rows[0]?.count).toBe(300);
	});

	it('takes P0 before P1 before P2, oldest first within a priority', async () => {
		await add('p2-old', {priority: 'P2', createdAt: 1});
		await add('p1-new', {priority: 'P1', createdAt: 30});
		await add('p0-new', {priority: 'P0', createdAt: 20});
		await add('p1-old', {priority: 'P1', createdAt: 10});
		await add('p0-old', {priority: 'P0', createdAt: 5});
		await add('running', {priority: 'P0', status: 'running', createdAt: 0});
		const claims = new TaskClaims(await host(), {hostId: 'a'});
		expect(ids(await claims.claim(3))).toEqual(['p0-old', 'p0-new', 'p1-old']);
		expect(ids(await claims.claim(10))).toEqual(['p1-new', 'p2-old']);
		expect(await claims.claim(10)).toEqual([]);
		expect(await claims.held()).toEqual(['p0-new', 'p0-old', 'p1-new', 'p1-old', 'p2-old']);
	});

	it('waits for dependencies to complete, as the core does', async () => {
		await add('dep', {status: 'running'});
		await add('failed-dep', {status: 'failed'});
		await add('needs-dep', {dependsOn: ['dep']});
		await add('continues-dep', {continueFrom: 'dep'});
		await add('fails-with-dep', {dependsOn: ['failed-dep']});
		await add('runs-anyway', {dependsOn: ['failed-dep'], onDependencyFailure: 'run'});
		await add('unknown-dep', {dependsOn: ['never-stored']});
		const claims = new TaskClaims(await host(), {hostId: 'a'});
		expect(ids(await claims.claim(10)).sort()).toEqual(['runs-anyway', 'unknown-dep']);
		await store.update(minimalTask('dep', {status: 'completed'}));
		expect(ids(await claims.claim(10)).sort()).toEqual(['continues-dep', 'needs-dep']);
		expect(await claims.claim(10)).toEqual([]);
		// The one that will never run is claimed apart, so that this host's DependencyGate ends it.
		expect(ids(await claims.claimDoomed(10))).toEqual(['fails-with-dep']);
		expect(await claims.claimDoomed(10)).toEqual([]);
	});

	it('leaves a task pinned to another host, or asking for a label this host lacks, to the hosts it names', async () => {
		await add('for-b', {}, {host: 'b'});
		await add('for-gpu', {}, {label: 'gpu'});
		await add('anywhere');
		const a = new TaskClaims(await host(), {hostId: 'a', labels: ['eu']});
		const b = new TaskClaims(await host(), {hostId: 'b', labels: ['gpu']});
		expect(ids(await a.claim(10))).toEqual(['anywhere']);
		expect(ids(await b.claim(10))).toEqual(['for-b', 'for-gpu']);
		expect((await store.held('for-gpu'))?.placement).toEqual({label: 'gpu'});
		expect((await store.held('for-gpu'))?.hostId).toBe('b');
	});

	it('refuses a bad max or host id, naming it', async () => {
		const pool = await host();
		await expect(new TaskClaims(pool, {hostId: 'a'}).claim(-1)).rejects.toThrow('claim() max must be a whole number ≥ 0');
		expect(() => new TaskClaims(pool, {hostId: ' '})).toThrow('hostId must be a non-empty string');
		expect(() => new TaskClaims(pool, {hostId: 'a', leaseMs: 0})).toThrow('leaseMs must be a number of milliseconds > 0');
	});
});

describe('fenced writes', () => {
	it('refuses a write from a host that no longer holds the task, and lets any host change a task nobody holds', async () => {
		const pool = await host();
		const a = new TaskClaims(pool, {hostId: 'a'});
		const b = new TaskClaims(pool, {hostId: 'b'});
		const asA = new PostgresTaskStore(pool, {hostId: 'a'});
		const asB = new PostgresTaskStore(pool, {hostId: 'b'});
		await add('t');
		await add('free', {createdAt: 5_000});
		expect(ids(await a.claim(1))).toEqual(['t']);
		await asA.update(minimalTask('t', {status: 'running', attempts: 1}));
		// a is cut off; its task goes back to the queue and b takes it.
		await a.release(['t']);
		expect(ids(await b.claim(1))).toEqual(['t']);
		const refused = asA.update(minimalTask('t', {status: 'completed'}));
		await expect(refused).rejects.toThrow(TaskHeldElsewhereError);
		await expect(refused).rejects.toThrow('no longer held by this host (a): host b holds it now');
		await asB.update(minimalTask('t', {status: 'running', attempts: 2}));
		expect((await store.get('t'))?.attempts).toBe(2);
		await expect(asA.update(minimalTask('missing'))).rejects.toThrow(TaskNotFoundError);

		await asA.updateFree(minimalTask('free', {createdAt: 5_000, priority: 'P0'}));
		expect((await store.get('free'))?.priority).toBe('P0');
		await b.claim(1);
		await expect(asA.updateFree(minimalTask('free', {createdAt: 5_000, status: 'cancelled'}))).rejects.toThrow(
			'changed hands meanwhile (host b holds it now); send the change to the host that holds it',
		);
	});
});

describe('leases', () => {
	it('lets another host take over the tasks of a host that stopped beating, and not those of one that beats', async () => {
		// Long enough that the beating host keeps its lease on a loaded machine (its beats come every 100 ms).
		const leaseMs = 1_000;
		const dead = new TaskClaims(await host(), {hostId: 'dead', leaseMs});
		const alive = new TaskClaims(await host(), {hostId: 'alive', leaseMs});
		const rescuer = new TaskClaims(await host(), {hostId: 'rescuer', leaseMs});
		await add('d1', {createdAt: 1});
		await add('d2', {createdAt: 2});
		await add('a1', {createdAt: 3});
		expect(ids(await dead.claim(2))).toEqual(['d1', 'd2']);
		expect(ids(await alive.claim(1))).toEqual(['a1']);
		// d1 runs on the dead host; d2 was claimed but not started yet.
		await store.update(minimalTask('d1', {createdAt: 1, status: 'running', startedAt: 5, attempts: 1, worker: {pid: 42, startTime: 7}, resumePending: true}));
		const beating = setInterval(() => void alive.heartbeat(), 100);
		try {
			expect(await rescuer.reclaimExpired()).toEqual([]);
			const takeovers = await waitFor('the dead host to lose its tasks', async () => {
				const taken = await rescuer.reclaimExpired();
				return taken.length > 0 ? taken : undefined;
			});
			expect(takeovers).toEqual([
				{taskId: 'd1', fromHost: 'dead', previousStatus: 'running', status: 'queued'},
				{taskId: 'd2', fromHost: 'dead', previousStatus: 'queued', status: 'queued'},
			]);
			expect(await alive.heartbeat()).toEqual(['a1']);
		} finally {
			clearInterval(beating);
		}
		const d1 = await store.get('d1');
		expect(d1).toMatchObject({status: 'queued', attempts: 1, resumePending: false});
		expect(d1?.worker).toBeUndefined();
		expect(ids(await rescuer.claim(10))).toEqual(['d1', 'd2']);
		// The claim says where the task that ran came from, once (the new holder retells that attempt); d2 never ran.
		expect(rescuer.takenOver('d1')).toEqual({fromHost: 'dead', at: expect.any(Number)});
		expect(rescuer.takenOver('d1')).toBeUndefined();
		expect(rescuer.takenOver('d2')).toBeUndefined();
		// The dead host comes back: its heartbeat says it holds nothing, so it stops what it still runs.
		expect(await dead.heartbeat()).toEqual([]);
		expect((await rescuer.history('d1')).map(({hostId, event}) => `${event}:${hostId}`)).toEqual(['claimed:dead', 'lease-expired:dead', 'claimed:rescuer']);
		expect((await rescuer.history('d1'))[1]?.detail).toBe('was running on dead; queued again for any host');
	});

	it('frees each expired task once when several hosts reclaim at the same moment', async () => {
		const dead = new TaskClaims(await host(), {hostId: 'dead', leaseMs: 1});
		for (let index = 0; index < 30; index++) await add(`x${index}`, {createdAt: index});
		expect(await dead.claim(30)).toHaveLength(30);
		const rescuers = await Promise.all(['r1', 'r2', 'r3'].map(async id => new TaskClaims(await host(), {hostId: id})));
		await waitFor('the leases to run out', async () => (await pools[0]!.query('SELECT 1 FROM tasks WHERE lease_until < now()')).rowCount === 30);
		const freed = (await Promise.all(rescuers.flatMap(rescuer => [rescuer.reclaimExpired(), rescuer.reclaimExpired()]))).flat();
		expect(freed.map(takeover => takeover.taskId).sort()).toEqual(Array.from({length: 30}, (_, index) => `x${index}`).sort());
		const {rows} = await pools[0]!.query<{count: number}>("SELECT count(*)::integer AS count FROM task_claims WHERE event = 'lease-expired'");
		expect(rows[0]?.count).toBe(30);
	});

	it('gives back released tasks to any host, and records hosts with their heartbeats', async () => {
		const a = new TaskClaims(await host(), {hostId: 'a', labels: ['gpu']});
		const b = new TaskClaims(await host(), {hostId: 'b'});
		await add('x', {createdAt: 1});
		await add('y', {createdAt: 2});
		await a.heartbeat();
		await b.heartbeat();
		expect(ids(await a.claim(2))).toEqual(['x', 'y']);
		expect(await a.release(['y'])).toEqual([{taskId: 'y', fromHost: 'a', previousStatus: 'queued', status: 'queued'}]);
		expect(ids(await b.claim(5))).toEqual(['y']);
		await a.release();
		await a.stop();
		expect(ids(await b.claim(5))).toEqual(['x']);
		const hosts = await b.hosts();
		expect(hosts.map(({id, labels}) => ({id, labels}))).toEqual([
			{id: 'a', labels: ['gpu']},
			{id: 'b', labels: []},
		]);
		expect(hosts[0]?.stoppedAt).toBeGreaterThan(0);
		expect(hosts[1]?.stoppedAt).toBeUndefined();
		expect(Math.abs(hosts[1]!.heartbeatAt - Date.now())).toBeLessThan(60_000);
	});
});
