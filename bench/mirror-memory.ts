// Memory of a shared-fleet task mirror opened on a database of 20,000 finished tasks ten days old: holding every task
// (as the mirror did before its window) against the window (unfinished, recent, and the newest 2,000 finished).
// Run: node --expose-gc --import tsx bench/mirror-memory.ts
import type pg from 'pg';
import {ChangeFeed} from '../source/adapters/postgres/change-feed.js';
import {openPool} from '../source/adapters/postgres/connection.js';
import {migrate} from '../source/adapters/postgres/migrations.js';
import {MirroredTaskStore} from '../source/adapters/postgres/mirrored-task-store.js';
import {insertTask} from '../source/adapters/postgres/postgres-task-store.js';
import {createTask, type Task} from '../source/core/domain/task.js';
import {startPostgres} from '../test/helpers/postgres-server.js';

const TASKS = 20_000;
const DAY = 86_400_000;
const gc = (globalThis as {gc?: () => void}).gc;
if (!gc) throw new Error('Run with node --expose-gc --import tsx bench/mirror-memory.ts: the heap is measured after a collection.');

/** A finished task of a usual size: a paragraph of prompt, a page of result. */
function oldTask(i: number, at: number): Task {
	const task = createTask(
		{prompt: `Review module ${i}: ${'look at the error handling and the tests. '.repeat(15)}`, cwd: '/home/me/project'},
		{id: `t${i}`, sessionId: `session-${i}`},
		at,
		{priority: 'P1', permissionMode: 'acceptEdits', mode: 'headless', timeoutMs: 1_800_000},
	);
	return {
		...task,
		status: 'completed',
		startedAt: at + 1000,
		endedAt: at + 60_000,
		updatedAt: at + 60_000,
		attempts: 1,
		costUsd: 0.12,
		result: 'Found three issues. '.repeat(100),
	};
}

/** Collects twice, a turn of the event loop apart: what a closed store held goes. */
async function settledHeap(): Promise<number> {
	for (let i = 0; i < 3; i++) {
		await new Promise(resolve => setTimeout(resolve, 50));
		gc!();
	}
	return process.memoryUsage().heapUsed;
}

async function heapAfterOpen(
	pool: pg.Pool,
	url: string,
	window: {windowMs?: number; keepFinished?: number} = {},
): Promise<{mb: number; ms: number; sizes: {inMemory: number; archived: number}}> {
	const before = await settledHeap();
	const started = performance.now();
	const changes = new ChangeFeed(url);
	const store = await MirroredTaskStore.open(pool, changes, {window});
	const ms = performance.now() - started;
	const mb = ((await settledHeap()) - before) / 1024 ** 2;
	const sizes = store.sizes();
	store.close();
	await store.closed();
	await changes.stop();
	return {mb, ms, sizes};
}

const server = await startPostgres();
try {
	const url = await server.createDatabase();
	const pool = await openPool(url, {applicationName: 'bench-mirror-memory'});
	await migrate(pool);
	const client = await pool.connect();
	await client.query('BEGIN');
	const at = Date.now() - 10 * DAY;
	for (let i = 0; i < TASKS; i++) await insertTask(client, oldTask(i, at + i));
	await client.query('COMMIT');
	client.release();
	// Everything in the window: what the mirror held before it had one.
	const all = await heapAfterOpen(pool, url, {windowMs: 100 * 365 * DAY});
	const windowed = await heapAfterOpen(pool, url);
	// Only the archived records: what each task out of memory still costs.
	const records = await heapAfterOpen(pool, url, {keepFinished: 0});
	const line = (name: string, run: typeof all) =>
		`${name}: ${run.sizes.inMemory.toLocaleString('en-US')} in memory, ${run.sizes.archived.toLocaleString('en-US')} archived, heap +${run.mb.toFixed(1)} MB, open ${Math.round(run.ms)} ms`;
	console.log(`${TASKS.toLocaleString('en-US')} finished tasks ten days old`);
	console.log(line('every task in memory', all));
	console.log(line('window (36 h + newest 2,000)', windowed));
	console.log(`${line('window, no finished kept', records)} (${Math.round((records.mb * 1024 ** 2) / TASKS)} B per archived task)`);
	await pool.end();
} finally {
	await server.stop();
}
