import type pg from 'pg';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {MirroredTaskStore, type MirrorOptions} from '../../../source/adapters/postgres/mirrored-task-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import type {TaskStatus} from '../../../source/core/domain/task.js';
import {describeTaskStore, minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let admin: pg.Pool;
const opened: Array<{store: MirroredTaskStore; changes: ChangeFeed; pool: pg.Pool}> = [];
let next: MirroredTaskStore | undefined;

async function mirror(options: MirrorOptions & {name?: string} = {}): Promise<MirroredTaskStore> {
	const pool = await openPool(url, {applicationName: options.name ?? 'mirror'});
	const changes = new ChangeFeed(url, {applicationName: `ccfleet mirror ${options.hostId ?? ''}`.trim()});
	const store = await MirroredTaskStore.open(pool, changes, options);
	opened.push({store, changes, pool});
	return store;
}

beforeAll(async () => {
	url = await server().createDatabase();
	admin = await openPool(url, {applicationName: 'admin'});
	await migrate(admin);
});

afterAll(async () => {
	await admin.end();
});

afterEach(async () => {
	for (const {store, changes, pool} of opened.splice(0)) {
		store.close();
		await store.closed();
		await changes.stop();
		await pool.end();
	}
	await admin.query('TRUNCATE tasks, task_claims, hosts');
});

describe('the TaskStore contract, on a mirror of PostgreSQL', () => {
	beforeEach(async () => {
		next = await mirror();
	});
	describeTaskStore('MirroredTaskStore', () => next!);
});

describe('MirroredTaskStore across hosts', () => {
	it('gives up on writes the database does not take within the close timeout, and names them', async () => {
		const a = await mirror({name: 'mirror-closing'});
		a.insert(minimalTask('kept'));
		await a.flush();
		const locker = await admin.connect();
		try {
			await locker.query('BEGIN');
			await locker.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');
			a.update(minimalTask('kept', {priority: 'P0'}));
			await waitFor('the write to wait on the lock', async () => {
				const {rows} = await admin.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'mirror-closing' AND wait_event_type = 'Lock'");
				return rows.length > 0;
			});
			// The waiting write fails (its session ends), and the next try meets the closing queue.
			await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mirror-closing' AND wait_event_type = 'Lock'");
			a.close();
			expect((await a.closed(100)).map(task => `${task.id}:${task.priority}`)).toEqual(['kept:P0']);
		} finally {
			await locker.query('COMMIT');
			locker.release();
		}
	});

	it('shows a task one host wrote to another, announced with its previous status, and keeps it for a mirror opened later', async () => {
		const heard: Array<{id: string; status: TaskStatus; previous: TaskStatus | undefined}> = [];
		const a = await mirror({name: 'mirror-a'});
		const b = await mirror({name: 'mirror-b', onRemoteChange: (task, previous) => heard.push({id: task.id, status: task.status, previous})});
		a.insert(minimalTask('t1'));
		await waitFor('b to see the new task', () => b.get('t1'));
		a.update(minimalTask('t1', {status: 'running', startedAt: 2_000}));
		await waitFor('b to see it running', () => b.get('t1')?.status === 'running');
		expect(heard).toEqual([
			{id: 't1', status: 'queued', previous: undefined},
			{id: 't1', status: 'running', previous: 'queued'},
		]);
		expect(b.list({statuses: ['running']}).map(task => task.id)).toEqual(['t1']);
		await a.flush();
		const later = await mirror({name: 'mirror-c'});
		expect(later.get('t1')).toEqual(minimalTask('t1', {status: 'running', startedAt: 2_000}));
		// a's own write coming back from the database is not news to a.
		expect(a.get('t1')?.status).toBe('running');
	});

	it('reads everything again after its listening session was killed, so a change announced meanwhile is not lost', async () => {
		const a = await mirror({name: 'mirror-a', hostId: 'a'});
		const {rows} = await admin.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE application_name = 'ccfleet mirror a'");
		expect(rows).toHaveLength(1);
		await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
		// Written while nobody listens for a: its notification goes nowhere (the reconnect waits at least 50 ms).
		await new PostgresTaskStore(admin).insert(minimalTask('while-deaf'));
		await waitFor('a to have the task written while its listener was down', () => a.get('while-deaf'));
	});

	it('lists oldest first in a mirror opened later, also when an older task changed last', async () => {
		const a = await mirror({name: 'mirror-a'});
		a.insert(minimalTask('first'));
		a.insert(minimalTask('second'));
		a.update(minimalTask('first', {priority: 'P0'}));
		await a.flush();
		const later = await mirror({name: 'mirror-later'});
		expect(later.list().map(task => task.id)).toEqual(['first', 'second']);
		expect(later.get('first')?.priority).toBe('P0');
	});

	it('tells a host that lost a task, and leaves the new holder’s state alone', async () => {
		const lost: Array<{id: string; holder: string | undefined}> = [];
		const a = await mirror({name: 'mirror-a', hostId: 'a', onLost: (id, holder) => lost.push({id, holder})});
		a.insert(minimalTask('t'));
		await a.flush();
		await new TaskClaims(admin, {hostId: 'a'}).claim(1);
		a.update(minimalTask('t', {status: 'running', attempts: 1}));
		await a.flush();
		await new TaskClaims(admin, {hostId: 'a'}).release();
		await new TaskClaims(admin, {hostId: 'b'}).claim(1);
		a.update(minimalTask('t', {status: 'completed'}));
		await a.flush();
		expect(lost).toEqual([{id: 't', holder: 'b'}]);
		expect((await new PostgresTaskStore(admin).get('t'))?.status).toBe('queued');
		expect(a.unwritten()).toBeUndefined();
	});

	it('keeps a write whose connection was killed, says so, and writes it once the database takes writes again', async () => {
		const errors: string[] = [];
		const a = await mirror({name: 'mirror-killed', onError: message => errors.push(message)});
		a.insert(minimalTask('t'));
		await a.flush();
		const locker = await admin.connect();
		try {
			await locker.query('BEGIN');
			await locker.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');
			a.update(minimalTask('t', {priority: 'P0'}));
			const {pid} = await waitFor('the write to wait on the lock', async () => {
				const {rows} = await admin.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE application_name = 'mirror-killed' AND wait_event_type = 'Lock'");
				return rows[0];
			});
			await admin.query('SELECT pg_terminate_backend($1)', [pid]);
			await waitFor('the failure to be reported', () => a.unwritten());
			a.update(minimalTask('t', {priority: 'P2'}));
		} finally {
			await locker.query('COMMIT');
			locker.release();
		}
		await a.flush();
		expect(a.unwritten()).toBeUndefined();
		expect(errors.some(message => message.startsWith('Writing to the shared database failed; retrying'))).toBe(true);
		expect((await new PostgresTaskStore(admin).get('t'))?.priority).toBe('P2');
		expect(a.get('t')?.priority).toBe('P2');
	});
});
