// `npx tsx bench/pg-claims.ts` (part of `npm run bench`): how long one host's claim of the next runnable task
// takes on a shared PostgreSQL, with 1, 2 and 3 hosts (one pool each) claiming from the same 600 tasks at once, one
// task per claim as a host with one free slot does; then how soon an idle host takes a task another host submitted
// (LISTEN/NOTIFY wakes it, then it claims); what the core pays per task through MirroredTaskStore (the synchronous part)
// and how soon its queue has written them; beside what one host's SQLite store pays per task today (insert, then the
// update that starts it). PostgreSQL is a throwaway one (test/helpers/postgres-server.ts: needs `apt-get install
// postgresql`), or the database CCFLEET_BENCH_DATABASE_URL names (its tasks are deleted). Printed, not asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import {ChangeFeed} from '../source/adapters/postgres/change-feed.js';
import {TaskChangeListener} from '../source/adapters/postgres/change-listener.js';
import {openPool} from '../source/adapters/postgres/connection.js';
import {migrate} from '../source/adapters/postgres/migrations.js';
import {MirroredTaskStore} from '../source/adapters/postgres/mirrored-task-store.js';
import {PostgresTaskStore} from '../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../source/adapters/postgres/task-claims.js';
import {SqliteTaskStore} from '../source/adapters/sqlite/sqlite-task-store.js';
import {createTask, transition, type Task} from '../source/core/domain/task.js';
import {startPostgres, type PostgresServer} from '../test/helpers/postgres-server.js';

const TASKS = 600;
const WAKES = 50;
const DEFAULTS = {priority: 'P1', permissionMode: 'default', mode: 'pty', timeoutMs: 600_000} as const;

function task(id: string, now = Date.now()): Task {
	return createTask({prompt: `bench task ${id}`, cwd: '/work'}, {id, sessionId: `session-${id}`}, now, DEFAULTS);
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

function summary(latencies: number[]): string {
	const sorted = [...latencies].sort((a, b) => a - b);
	return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms, max ${sorted.at(-1)?.toFixed(2)} ms`;
}

async function freshDatabase(server: PostgresServer | undefined): Promise<string> {
	const url = server ? await server.createDatabase() : process.env.CCFLEET_BENCH_DATABASE_URL!;
	const pool = await openPool(url);
	await migrate(pool);
	if (!server) await pool.query('DELETE FROM task_claims; DELETE FROM tasks');
	await pool.end();
	return url;
}

/** `hosts` claimers, each with its own pool, take all TASKS one at a time. */
async function claimRace(url: string, hosts: number): Promise<void> {
	const setup = await openPool(url);
	const store = new PostgresTaskStore(setup);
	const now = Date.now();
	for (let index = 0; index < TASKS; index++) await store.insert(task(`h${hosts}-t${index}`, now + index));
	const pools: pg.Pool[] = [];
	for (let index = 0; index < hosts; index++) pools.push(await openPool(url, {max: 2}));
	const latencies: number[] = [];
	const perHost = Array.from({length: hosts}, () => 0);
	const started = performance.now();
	await Promise.all(
		pools.map(async (pool, index) => {
			const claims = new TaskClaims(pool, {hostId: `host-${index}`});
			for (;;) {
				const before = performance.now();
				const got = await claims.claim(1);
				latencies.push(performance.now() - before);
				if (got.length === 0) return;
				perHost[index]!++;
			}
		}),
	);
	const seconds = (performance.now() - started) / 1000;
	console.log(`${hosts} host(s): claim ${summary(latencies)}; ${(TASKS / seconds).toFixed(0)} claims/s together; per host ${perHost.join(' / ')}`);
	await Promise.all([...pools, setup].map(pool => pool.end()));
}

/** An idle host hears a task another host submitted and claims it: from the submit's commit to the claim's return. */
async function wakeLatency(url: string): Promise<void> {
	const submitter = await openPool(url, {max: 1});
	const idle = await openPool(url, {max: 1});
	const store = new PostgresTaskStore(submitter);
	const claims = new TaskClaims(idle, {hostId: 'idle'});
	let claimed: ((task: Task) => void) | undefined;
	const feed = new ChangeFeed(url);
	const listener = new TaskChangeListener(feed, {
		onChange: change => {
			if (change.op !== 'insert') return;
			void claims.claim(1).then(([task]) => task && claimed?.(task));
		},
	});
	await listener.start();
	const latencies: number[] = [];
	for (let index = 0; index < WAKES; index++) {
		const taken = new Promise<Task>(resolve => (claimed = resolve));
		const before = performance.now();
		await store.insert(task(`wake-${index}`));
		await taken;
		latencies.push(performance.now() - before);
	}
	console.log(`idle host takes a task another host submitted (NOTIFY, then claim): ${summary(latencies)} over ${WAKES}`);
	await listener.stop();
	await feed.stop();
	await Promise.all([submitter.end(), idle.end()]);
}

/**
 * What the core would pay on PostgreSQL through the mirror: the synchronous insert + update (memory, then queued), and
 * how long the queue takes to get all of them into the database.
 */
async function mirrorPerTask(url: string): Promise<void> {
	const pool = await openPool(url, {max: 2});
	const changes = new ChangeFeed(url);
	const store = await MirroredTaskStore.open(pool, changes, {hostId: 'bench'});
	const latencies: number[] = [];
	const started = performance.now();
	for (let index = 0; index < TASKS; index++) {
		const queued = task(`m${index}`);
		const before = performance.now();
		store.insert(queued);
		store.update(transition(queued, 'running', Date.now()));
		latencies.push(performance.now() - before);
	}
	const queuedMs = performance.now() - started;
	await store.flush();
	const writtenMs = performance.now() - started;
	console.log(
		`PostgreSQL through the mirror, one host: insert + update per task ${summary(latencies)} (the core's share); ` +
			`all ${TASKS} in the database after ${writtenMs.toFixed(0)} ms (queued in ${queuedMs.toFixed(0)} ms)`,
	);
	store.close();
	await store.closed();
	await changes.stop();
	await pool.end();
}

/** What one host pays per task on SQLite now: the insert at submit, the update that starts it. */
function sqlitePerTask(): void {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-sqlite-'));
	const store = new SqliteTaskStore(path.join(dir, 'tasks.db'));
	const latencies: number[] = [];
	try {
		for (let index = 0; index < TASKS; index++) {
			const queued = task(`s${index}`);
			const before = performance.now();
			store.insert(queued);
			store.update(transition(queued, 'running', Date.now()));
			latencies.push(performance.now() - before);
		}
	} finally {
		store.close();
		fs.rmSync(dir, {recursive: true, force: true});
	}
	console.log(`SQLite, one host: insert + update per task ${summary(latencies)}`);
}

const server = process.env.CCFLEET_BENCH_DATABASE_URL ? undefined : await startPostgres();
try {
	if (server) console.log(`throwaway PostgreSQL ready in ${server.startupMs.toFixed(0)} ms (fsync off)`);
	for (const hosts of [1, 2, 3]) await claimRace(await freshDatabase(server), hosts);
	await wakeLatency(await freshDatabase(server));
	await mirrorPerTask(await freshDatabase(server));
	sqlitePerTask();
} finally {
	await server?.stop();
}
