import fs from 'node:fs';
import type pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import {connectionError, openPool, redact} from '../../../source/adapters/postgres/connection.js';
import {LATEST_PG_SCHEMA_VERSION, migrate, PostgresSchemaTooNewError, schemaVersion} from '../../../source/adapters/postgres/migrations.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import {PG_MIGRATIONS} from '../../../source/adapters/postgres/schema.js';
import {FleetError, TaskNotFoundError} from '../../../source/core/domain/errors.js';
import {COLUMNS} from '../../../source/adapters/sqlite/task-row.js';
import {fullTask, minimalTask} from '../../contracts/task-store.contract.js';
import {startPostgres, usePostgres} from '../../helpers/postgres-server.js';

const server = usePostgres({tcp: true});
const pools: pg.Pool[] = [];

async function pool(url?: string): Promise<pg.Pool> {
	const opened = await openPool(url ?? (await server().createDatabase()));
	pools.push(opened);
	return opened;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
	try {
		await promise;
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a rejection');
}

afterEach(async () => {
	await Promise.all(pools.splice(0).map(opened => opened.end()));
});

describe('the throwaway server', () => {
	it('answers on its Unix socket and on 127.0.0.1, with fsync off', async () => {
		const overSocket = await pool(server().url);
		const overTcp = await pool(server().tcpUrl);
		expect((await overSocket.query<{fsync: string}>('SHOW fsync')).rows[0]?.fsync).toBe('off');
		expect((await overTcp.query<{one: number}>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
	});

	it('starts another in under 2 s once the machine has made its first (initdb runs once per machine)', async () => {
		const another = await startPostgres();
		try {
			expect(another.startupMs).toBeLessThan(2_000);
			expect(another.socketDir).not.toBe(server().socketDir);
			expect((await another.query('SELECT 1 AS one')).rows).toEqual([{one: 1}]);
		} finally {
			await another.stop();
		}
		expect(fs.existsSync(another.socketDir)).toBe(false);
	});
});

describe('connection errors say what is wrong and what to do', () => {
	it('refuses a URL that is not PostgreSQL, naming the accepted form', async () => {
		const error = await failure(openPool('mysql://user:secret@db/ccfleet'));
		expect(error).toBeInstanceOf(FleetError);
		expect(error.message).toContain('not a PostgreSQL URL');
		expect(error.message).toContain('postgres://user:password@host:5432/database');
		expect(error.message).not.toContain('secret');
	});

	it('names an unreachable server and says to start it or fix the host and port', async () => {
		const closed = `postgres://postgres@127.0.0.1:1/postgres`;
		const error = await failure(openPool(closed));
		expect(error.message).toMatch(/nothing accepts connections there.*Start PostgreSQL, or correct the host and port/);
	});

	it('names a wrong password without printing it', async () => {
		await server().query("CREATE ROLE fleet_user LOGIN PASSWORD 'right-one'");
		const wrong = `postgres://fleet_user:wrong-one@127.0.0.1:${server().port}/postgres`;
		const error = await failure(openPool(wrong));
		expect(error.message).toContain('refused the password');
		expect(error.message).not.toContain('wrong-one');
		const right = await pool(`postgres://fleet_user:right-one@127.0.0.1:${server().port}/postgres`);
		expect((await right.query<{user: string}>('SELECT current_user AS user')).rows[0]?.user).toBe('fleet_user');
	});

	it('names a database that does not exist and says how to create it', async () => {
		const error = await failure(openPool(`postgres://postgres@127.0.0.1:${server().port}/no_such_db`));
		expect(error.message).toContain('does not exist');
		expect(error.message).toContain('createdb');
	});

	it('hides passwords in URLs and passes its own errors through', () => {
		expect(redact('postgres://u:p%40ss@h:5/d?sslmode=require')).toBe('postgres://u:***@h:5/d?sslmode=require');
		expect(redact('postgres:///d?host=/run&password=x&user=u')).toBe('postgres:///d?host=/run&password=***&user=u');
		const own = new FleetError('already clear');
		expect(connectionError('postgres://h/d', own)).toBe(own);
	});
});

describe('migrations', () => {
	it('bring a new database to the latest version, and running them again changes nothing', async () => {
		const db = await pool();
		expect(await schemaVersion(db)).toBe(0);
		expect(await migrate(db)).toBe(LATEST_PG_SCHEMA_VERSION);
		expect(await migrate(db)).toBe(LATEST_PG_SCHEMA_VERSION);
		const {rows} = await db.query<{version: number}>('SELECT version FROM schema_migrations ORDER BY version');
		expect(rows.map(row => row.version)).toEqual(PG_MIGRATIONS.map(migration => migration.version));
	});

	it('run once when several hosts start at the same moment', async () => {
		const url = await server().createDatabase();
		const hosts = await Promise.all(Array.from({length: 5}, () => pool(url)));
		expect(await Promise.all(hosts.map(host => migrate(host)))).toEqual(hosts.map(() => LATEST_PG_SCHEMA_VERSION));
		const {rows} = await hosts[0]!.query<{count: number}>('SELECT count(*)::integer AS count FROM schema_migrations');
		expect(rows[0]?.count).toBe(LATEST_PG_SCHEMA_VERSION);
	});

	it('refuse, changing nothing, a database a newer ccfleet migrated', async () => {
		const db = await pool();
		await migrate(db);
		await db.query("INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')");
		const error = await failure(migrate(db));
		expect(error).toBeInstanceOf(PostgresSchemaTooNewError);
		expect(error.message).toContain('Upgrade ccfleet on this host');
	});

	it('roll back a migration that fails, leaving the version where it was', async () => {
		const db = await pool();
		const broken = [...PG_MIGRATIONS, {version: PG_MIGRATIONS.length + 1, description: 'broken', sql: 'CREATE TABLE half (x int); SELECT no_such_function();'}];
		await expect(migrate(db, broken)).rejects.toThrow(/no_such_function/);
		expect(await schemaVersion(db)).toBe(0);
		expect((await db.query("SELECT to_regclass('tasks') AS t")).rows[0]).toEqual({t: null});
	});
});

describe('PostgresTaskStore', () => {
	async function store(): Promise<PostgresTaskStore> {
		const db = await pool();
		await migrate(db);
		return new PostgresTaskStore(db);
	}

	it('has a column for every column of the SQLite row mapping (a new SQLite column needs a PostgreSQL migration too)', async () => {
		const db = await pool();
		await migrate(db);
		const {rows} = await db.query<{column_name: string}>("SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks'");
		const columns = new Set(rows.map(row => row.column_name));
		expect(COLUMNS.filter(column => !columns.has(column))).toEqual([]);
	});

	it('reads back a task with every field set, and one with none, deep-equal to what was written', async () => {
		const tasks = await store();
		const full = fullTask('full', {
			allow: ['Bash(npm test)'],
			deny: ['Bash(rm *)'],
			answers: [{at: 5, toolName: 'Bash', summary: 'npm test', answer: 'allow', by: 'person', message: 'ok "quoted" ✅'}],
			isolation: 'worktree',
			mergeStrategy: 'patch',
			worktree: {repoRoot: '/r', path: '/r/.wt', branch: 'ccfleet/full', baseSha: 'abc'},
			parkedUntil: 1_750_000_999_000.5,
		});
		await tasks.insert(full);
		await tasks.insert(minimalTask('minimal'));
		expect(await tasks.get('full')).toEqual(full);
		expect(await tasks.get('minimal')).toEqual(minimalTask('minimal'));
		expect(await tasks.get('missing')).toBeUndefined();
	});

	it('numbers every change but a lease renewal, and lists what changed after a number', async () => {
		const db = await pool();
		await migrate(db);
		const tasks = new PostgresTaskStore(db);
		await tasks.insert(minimalTask('a'));
		await tasks.insert(minimalTask('b'));
		const all = await tasks.changedSince(0);
		expect(all.tasks.map(({task}) => task.id)).toEqual(['a', 'b']);
		const claims = new TaskClaims(db, {hostId: 'h'});
		await claims.claim(1);
		const afterClaim = await tasks.changedSince(all.lastSeq);
		expect(afterClaim.tasks.map(({task, hostId}) => `${task.id}@${hostId}`)).toEqual(['a@h']);
		await claims.heartbeat();
		expect((await tasks.changedSince(afterClaim.lastSeq)).tasks).toEqual([]);
		await tasks.update(minimalTask('b', {priority: 'P0'}));
		await tasks.update(minimalTask('a', {status: 'running'}));
		const later = await tasks.changedSince(afterClaim.lastSeq);
		expect(later.tasks.map(({task}) => task.id)).toEqual(['b', 'a']);
		expect(later.lastSeq).toBeGreaterThan(afterClaim.lastSeq);
	});

	it('stores a NUL, which PostgreSQL cannot hold, as U+FFFD, and leaves an escaped backslash before u0000 alone', async () => {
		const tasks = await store();
		const checkpoint = {takenAt: 1, outputTail: ['tail\u0000end', String.raw`a literal \u0000 typed`], sessionId: 's'};
		await tasks.insert(minimalTask('nul', {prompt: 'before\u0000after', checkpoint}));
		const read = await tasks.get('nul');
		expect(read?.prompt).toBe('before\ufffdafter');
		expect(read?.checkpoint?.outputTail).toEqual(['tail\ufffdend', String.raw`a literal \u0000 typed`]);
		await tasks.update(minimalTask('nul', {result: '\u0000'}));
		expect((await tasks.get('nul'))?.result).toBe('\ufffd');
	});

	it('updates, lists, counts and sums costs like the SQLite store', async () => {
		const tasks = await store();
		for (const [index, id] of ['a', 'b', 'c'].entries()) await tasks.insert(minimalTask(id, {createdAt: 1_000 + index, costUsd: index}));
		await tasks.update(minimalTask('b', {status: 'running', startedAt: 5_000, costUsd: 2.5}));
		await expect(tasks.update(minimalTask('nope'))).rejects.toThrow(TaskNotFoundError);
		await expect(tasks.insert(minimalTask('a'))).rejects.toThrow('already exists');
		expect((await tasks.list()).map(task => task.id)).toEqual(['a', 'b', 'c']);
		expect((await tasks.list({limit: 2})).map(task => task.id)).toEqual(['b', 'c']);
		expect((await tasks.list({statuses: ['running']})).map(task => task.id)).toEqual(['b']);
		expect(await tasks.list({statuses: []})).toEqual([]);
		expect((await tasks.countByStatus()).queued).toBe(2);
		expect(await tasks.totalCostUsd()).toBe(4.5);
		expect(await tasks.totalCostUsd(4_000)).toBe(2.5);
	});
});
