import type pg from 'pg';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {MirroredTaskStore, type MirrorOptions} from '../../../source/adapters/postgres/mirrored-task-store.js';
import {PostgresTaskStore, insertTask} from '../../../source/adapters/postgres/postgres-task-store.js';
import type {Task, TaskStatus} from '../../../source/core/domain/task.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

// A mirror on a database with 3,000 finished tasks older than its window, 20 recent ones and 10 unfinished: it holds the
// window only, yet counts and costs every task; old tasks come back on demand or when another host changes them.
const server = usePostgres();
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 30, 12);
const OLD = 3_000;
const KEEP = 100;
const FINISHED: TaskStatus[] = ['completed', 'failed', 'cancelled', 'skipped'];
let url: string;
let admin: pg.Pool;
let now = NOW;
const opened: Array<{store: MirroredTaskStore; changes: ChangeFeed; pool: pg.Pool}> = [];

async function mirror(options: MirrorOptions = {}, keepFinished = KEEP): Promise<MirroredTaskStore> {
	const pool = await openPool(url, {applicationName: 'mirror-window'});
	const changes = new ChangeFeed(url, {applicationName: `ccfleet mirror ${options.hostId ?? ''}`.trim()});
	const store = await MirroredTaskStore.open(pool, changes, {...options, window: {windowMs: 36 * HOUR, keepFinished, sweepMs: 60_000, now: () => now}});
	opened.push({store, changes, pool});
	return store;
}

const ended = (id: string, at: number, status: TaskStatus, costUsd: number): Task =>
	minimalTask(id, {status, costUsd, createdAt: at - 60_000, startedAt: at - 50_000, endedAt: at, updatedAt: at, attempts: 1});

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
	return (await admin.query<T>(text, values)).rows;
}

async function countsInSql(): Promise<Record<string, number>> {
	return Object.fromEntries((await sql<{status: string; n: number}>('SELECT status, count(*)::integer AS n FROM tasks GROUP BY status')).map(row => [row.status, row.n]));
}

async function costInSql(since?: number): Promise<number> {
	const where = since === undefined ? '' : 'WHERE coalesce(started_at, created_at) >= $1';
	return (await sql<{total: number | null}>(`SELECT sum(cost_usd) AS total FROM tasks ${where}`, since === undefined ? [] : [since]))[0]?.total ?? 0;
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

beforeAll(async () => {
	url = await server().createDatabase();
	admin = await openPool(url, {applicationName: 'admin'});
	await migrate(admin);
	const client = await admin.connect();
	try {
		await client.query('BEGIN');
		// Ten days old, a second apart, oldest first; then the recent ones and the unfinished ones.
		for (let i = 0; i < OLD; i++) await insertTask(client, ended(`old-${i}`, NOW - 240 * HOUR + i * 1000, FINISHED[i % 4]!, (i % 7) * 0.01));
		for (let i = 0; i < 20; i++) await insertTask(client, ended(`recent-${i}`, NOW - 2 * HOUR + i * 1000, 'completed', 0.5));
		for (let i = 0; i < 10; i++) await insertTask(client, minimalTask(`open-${i}`, {createdAt: NOW - 300 * HOUR, updatedAt: NOW - 300 * HOUR}));
		await client.query('COMMIT');
	} finally {
		client.release();
	}
});

afterAll(async () => {
	await admin.end();
});

afterEach(async () => {
	now = NOW;
	for (const {store, changes, pool} of opened.splice(0)) {
		store.close();
		await store.closed();
		await changes.stop();
		await pool.end();
	}
});

describe('a bounded mirror', () => {
	it('holds only the window and the newest finished tasks, and counts and costs every task exactly', async () => {
		const store = await mirror();
		expect(store.sizes()).toEqual({inMemory: 10 + 20 + KEEP, archived: OLD - KEEP});
		expect(store.list().map(task => task.id)).toEqual([
			...Array.from({length: KEEP}, (_, i) => `old-${OLD - KEEP + i}`),
			...Array.from({length: 20}, (_, i) => `recent-${i}`),
			...Array.from({length: 10}, (_, i) => `open-${i}`),
		]);
		expect(nonZero(store.countByStatus())).toEqual(await countsInSql());
		expect(store.totalCostUsd()).toBeCloseTo(await costInSql(), 9);
		const since = NOW - 24 * HOUR;
		expect(await costInSql(since)).toBe(10);
		expect(store.totalCostUsd(since)).toBeCloseTo(10, 9);
	});

	it('answers get() of an archived task only after preload, counting it once', async () => {
		const store = await mirror();
		const counts = store.countByStatus();
		const cost = store.totalCostUsd();
		expect(store.get('old-5')).toBeUndefined();
		await store.preload(['old-5', 'no-such-task', 'open-1']);
		expect(store.get('old-5')).toMatchObject({id: 'old-5', status: 'failed', costUsd: 0.05});
		expect(store.sizes()).toEqual({inMemory: 10 + 20 + KEEP + 1, archived: OLD - KEEP - 1});
		expect(store.countByStatus()).toEqual(counts);
		expect(store.totalCostUsd()).toBeCloseTo(cost, 9);
		// Back in its place: the list stays oldest first.
		expect(store.list({statuses: ['failed'], limit: KEEP / 4 + 2})[0]!.id).toBe('old-5');
	});

	it('takes an archived task back when another host changes it, announced with its archived status, counted once', async () => {
		const heard: Array<{id: string; status: TaskStatus; previous: TaskStatus | undefined}> = [];
		const store = await mirror({onRemoteChange: (task, previous) => heard.push({id: task.id, status: task.status, previous})});
		heard.length = 0; // what the load announced
		const [row] = await sql<{cost_usd: number}>("SELECT cost_usd FROM tasks WHERE id = 'old-8'");
		expect(row!.cost_usd).toBeCloseTo(0.01, 9);
		// A failed task run again elsewhere: queued, and its cost so far kept.
		await new PostgresTaskStore(admin).update({...ended('old-8', NOW - 240 * HOUR + 8000, 'completed', 0.01), status: 'queued', updatedAt: NOW, costUsd: 0.75});
		await waitFor('the mirror to hear of old-8', () => store.get('old-8') !== undefined);
		expect(heard).toEqual([{id: 'old-8', status: 'queued', previous: 'completed'}]);
		expect(store.sizes().archived).toBe(OLD - KEEP - 1);
		expect(nonZero(store.countByStatus())).toEqual(await countsInSql());
		expect(store.totalCostUsd()).toBeCloseTo(await costInSql(), 9);
		await new PostgresTaskStore(admin).update({...ended('old-8', NOW - 240 * HOUR + 8000, 'completed', 0.01)});
	});

	it('after its listening session was killed, reads the window again: an archived task changed meanwhile comes back, counted once', async () => {
		const store = await mirror({hostId: 'w'});
		const {rows} = await admin.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE application_name = 'ccfleet mirror w'");
		await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
		await new PostgresTaskStore(admin).update({...ended('old-9', NOW - 240 * HOUR + 9000, 'failed', 0.02), status: 'queued', updatedAt: NOW});
		await waitFor('the mirror to read old-9 again', () => store.get('old-9')?.status === 'queued');
		expect(store.sizes().archived).toBe(OLD - KEEP - 1);
		expect(nonZero(store.countByStatus())).toEqual(await countsInSql());
		await new PostgresTaskStore(admin).update(ended('old-9', NOW - 240 * HOUR + 9000, 'failed', 0.02));
	});

	it('lets tasks that aged out of the window go at the next sweep, at most once per interval, a preloaded one a sweep later', async () => {
		const store = await mirror({}, 0);
		expect(store.sizes()).toEqual({inMemory: 30, archived: OLD});
		now += 30 * HOUR;
		expect(store.sweep()).toBe(0);
		await store.preload(['recent-3']);
		now += 8 * HOUR;
		// recent-3 was named since the last sweep: it stays for one more; a sweep again at once does nothing (it would let it go).
		expect(store.sweep()).toBe(19);
		expect(store.sweep()).toBe(0);
		expect(store.get('recent-3')).toBeDefined();
		expect(store.get('recent-4')).toBeUndefined();
		now += 60_000;
		expect(store.sweep()).toBe(1);
		expect(store.sizes()).toEqual({inMemory: 10, archived: OLD + 20});
		expect(nonZero(store.countByStatus())).toEqual(await countsInSql());
		expect(store.totalCostUsd()).toBeCloseTo(await costInSql(), 9);
		// The budget's day holds none of them now.
		expect(store.totalCostUsd(now - 24 * HOUR)).toBe(0);
	});
});
