import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {TaskChangeListener, type TaskChange} from '../../../source/adapters/postgres/change-listener.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {FleetState} from '../../../source/adapters/postgres/fleet-state.js';
import {LeaderLock} from '../../../source/adapters/postgres/leader-lock.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {sharedGovernance} from '../../../source/adapters/postgres/shared-governance.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let pool: pg.Pool;
let store: PostgresTaskStore;
const stops: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
	url = await server().createDatabase();
	pool = await openPool(url);
	await migrate(pool);
	store = new PostgresTaskStore(pool);
	stops.push(() => pool.end());
});

afterEach(async () => {
	for (const stop of stops.splice(0).reverse()) await stop();
});

/** Ends every session whose application_name is `name`, as a crash or a network cut would. */
async function terminate(name: string): Promise<number> {
	const {rows} = await pool.query<{ended: boolean}>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1', [name]);
	return rows.length;
}

async function listen(name: string, onReconnect?: () => void): Promise<TaskChange[]> {
	const heard: TaskChange[] = [];
	const feed = new ChangeFeed(url, {applicationName: name});
	const listener = new TaskChangeListener(feed, {onChange: change => heard.push(change), ...(onReconnect ? {onReconnect} : {})});
	await listener.start();
	stops.push(
		() => feed.stop(),
		() => listener.stop(),
	);
	return heard;
}

describe('TaskChangeListener', () => {
	it('hears a new task within 100 ms of its commit, and a lease renewal not at all', async () => {
		const heard = await listen('listener-latency');
		const claims = new TaskClaims(pool, {hostId: 'a'});
		const latencies: number[] = [];
		for (let index = 0; index < 20; index++) {
			const before = heard.length;
			const start = performance.now();
			await store.insert(minimalTask(`t${index}`));
			await waitFor(`the notification for t${index}`, () => heard.length > before, 5_000, 1);
			latencies.push(performance.now() - start);
		}
		latencies.sort((a, b) => a - b);
		const median = latencies[latencies.length >> 1]!;
		// Typically 1–3 ms here; generous, since the machine is shared with other tests.
		expect(median).toBeLessThan(100);
		expect(heard.at(-1)).toEqual({id: 't19', status: 'queued', host: null, op: 'insert', seq: expect.any(Number)});

		await claims.claim(1);
		await waitFor('the claim to be heard', () => heard.some(change => change.host === 'a'));
		const count = heard.length;
		expect(await claims.heartbeat()).toEqual(['t0']);
		await store.update(minimalTask('t1', {status: 'cancelled'}));
		await waitFor('the cancel to be heard', () => heard.length > count);
		// The heartbeat, which came first, announced nothing: the next thing heard is the cancel.
		expect(heard.slice(count)).toEqual([{id: 't1', status: 'cancelled', host: null, op: 'update', seq: expect.any(Number)}]);
		expect(heard.at(-1)!.seq).toBeGreaterThan(heard.at(-2)!.seq);
	});

	it('comes back after its session is killed, says so, and hears again', async () => {
		let reconnects = 0;
		const heard = await listen('listener-killed', () => reconnects++);
		expect(await terminate('listener-killed')).toBe(1);
		await waitFor('the listener to reconnect', () => reconnects === 1);
		await store.insert(minimalTask('after'));
		await waitFor('the task inserted after the reconnect to be heard', () => heard.some(change => change.id === 'after'));
	});

	it('fails to start with an error that says what to do when the server is not there', async () => {
		const listener = new TaskChangeListener(new ChangeFeed('postgres://postgres@127.0.0.1:1/postgres'), {onChange: () => {}});
		await expect(listener.start()).rejects.toThrow(/nothing accepts connections there/);
		expect(() => new TaskChangeListener(new ChangeFeed(url), {onChange: () => {}, channel: 'Bad-Name'})).toThrow('channel must be a lower-case SQL identifier');
	});
});

describe('LeaderLock', () => {
	function candidate(name: string, changes: boolean[]): LeaderLock {
		const lock = new LeaderLock(url, {applicationName: name, checkMs: 50, onChange: isLeader => changes.push(isLeader)});
		stops.push(() => lock.stop());
		return lock;
	}

	it('makes one host leader, and another when the leader’s session is killed', async () => {
		const first: boolean[] = [];
		const second: boolean[] = [];
		const a = candidate('leader-a', first);
		const b = candidate('leader-b', second);
		await a.start();
		await b.start();
		expect([a.isLeader, b.isLeader]).toEqual([true, false]);
		expect(await terminate('leader-a')).toBe(1);
		await waitFor('b to take over the lead', () => b.isLeader);
		await waitFor('a to learn it lost the lead', () => !a.isLeader);
		expect(first.slice(0, 2)).toEqual([true, false]);
		expect(second).toEqual([true]);
		// a reconnects as a follower; the lead stays with b.
		await waitFor('a to have a session again', async () => (await pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'leader-a'")).rowCount === 1);
		expect([a.isLeader, b.isLeader]).toEqual([false, true]);
	});

	it('hands the lead over when the leader stops', async () => {
		const a = candidate('leader-stops', []);
		const b = candidate('leader-follows', []);
		await a.start();
		await b.start();
		await a.stop();
		await waitFor('b to lead', () => b.isLeader);
	});

	it('stopped while its first session is still connecting, ends that session instead of leading on it', async () => {
		const changes: boolean[] = [];
		const early = candidate('leader-stopped-early', changes);
		const starting = early.start();
		await early.stop();
		await starting;
		// The session it was opening when it stopped must not stay, holding the lock: another host leads.
		const other = candidate('leader-after-early', []);
		await other.start();
		expect(other.isLeader).toBe(true);
		expect(changes).toEqual([]);
		expect((await pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'leader-stopped-early'")).rowCount).toBe(0);
	});
});

describe('FleetState', () => {
	it('keeps the later usage-limit reset whichever host notes it, and sums every host’s spending', async () => {
		const a = new FleetState(pool, 'a');
		const b = new FleetState(pool, 'b');
		expect(await a.usageLimit()).toBeUndefined();
		expect(await a.noteUsageLimit(5_000, 'five_hour')).toEqual({until: 5_000, kind: 'five_hour', notedBy: 'a'});
		expect(await b.noteUsageLimit(4_000)).toEqual({until: 5_000, kind: 'five_hour', notedBy: 'a'});
		expect(await b.noteUsageLimit(9_000, 'seven_day')).toEqual({until: 9_000, kind: 'seven_day', notedBy: 'b'});
		expect(await a.usageLimit()).toEqual({until: 9_000, kind: 'seven_day', notedBy: 'b'});
		await store.insert(minimalTask('early', {costUsd: 1, createdAt: 100}));
		await store.insert(minimalTask('today', {costUsd: 2, createdAt: 100, startedAt: 2_000}));
		expect(await a.spentSince(1_000)).toBe(2);
	});

	it('tells every listening host of a limit any host notes (not of one that changes nothing), and after its session came back', async () => {
		const feed = new ChangeFeed(url, {applicationName: 'governance feed b'});
		stops.push(() => feed.stop());
		const errors: unknown[] = [];
		const b = sharedGovernance(pool, feed, 'b', (_message, cause) => errors.push(cause));
		let heard = 0;
		const stop = b.onChange(() => heard++);
		await waitFor('b to listen', () => heard === 1);
		const a = new FleetState(pool, 'a');
		await a.noteUsageLimit(5_000, 'five_hour');
		await waitFor("a's note to reach b", () => heard === 2);
		expect(await b.usageLimit()).toEqual({until: 5_000, kind: 'five_hour', notedBy: 'a'});
		// An earlier reset changes no row, so nobody is told.
		await a.noteUsageLimit(4_000);
		await b.noteUsageLimit(9_000);
		await waitFor("b's own note to reach it", () => heard === 3);
		// The session dropped: what was noted meanwhile went unheard, so b is told to read again.
		await terminate('governance feed b');
		await waitFor('b to hear that its session came back', () => heard === 4, 10_000);
		stop();
		// Another listener on the same session hears the next note; the stopped one does not.
		let other = 0;
		b.onChange(() => other++);
		await waitFor('the other listener to listen', () => other === 1);
		await a.noteUsageLimit(20_000);
		await waitFor('the next note to reach the other listener', () => other === 2);
		expect(heard).toBe(4);
		expect(errors).toEqual([]);
	});
});
