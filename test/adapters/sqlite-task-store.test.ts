import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {DatabaseTooNewError, LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion} from '../../source/adapters/sqlite/migrations.js';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {FleetError} from '../../source/core/domain/errors.js';
import {fullTask, minimalTask} from '../contracts/task-store.contract.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dieFixture = fileURLToPath(new URL('../fixtures/insert-tasks-then-die.ts', import.meta.url));

let directory: string;
let database: string;
const open: SqliteTaskStore[] = [];

function openStore(file = database): SqliteTaskStore {
	const store = new SqliteTaskStore(file);
	open.push(store);
	return store;
}

function raw(file = database): Database.Database {
	return new Database(file);
}

function errorOf(fn: () => unknown): Error {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}

	throw new Error('expected a throw');
}

beforeEach(() => {
	directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-sqlite-'));
	database = path.join(directory, 'tasks.db');
});

afterEach(() => {
	for (const store of open.splice(0)) store.close();
	fs.rmSync(directory, {recursive: true, force: true});
});

describe('SqliteTaskStore on a real file', () => {
	it('puts the database in WAL mode', () => {
		const store = openStore();
		store.insert(minimalTask('a'));
		const db = raw();
		expect(db.pragma('journal_mode', {simple: true})).toBe('wal');
		db.close();
		expect(fs.existsSync(`${database}-wal`)).toBe(true);
	});

	it('keeps the data across close and reopen', () => {
		const first = openStore();
		first.insert(fullTask('a'));
		first.insert(minimalTask('b'));
		first.update(fullTask('a', {status: 'completed', exitCode: 0}));
		first.close();

		const second = openStore();
		expect(second.list()).toStrictEqual([fullTask('a', {status: 'completed', exitCode: 0}), minimalTask('b')]);
		second.insert(minimalTask('c'));
		expect(second.list().map(task => task.id)).toEqual(['a', 'b', 'c']);
	});

	it('sees what another connection to the same file wrote', () => {
		const writer = openStore();
		const reader = openStore();
		writer.insert(minimalTask('shared'));
		expect(reader.get('shared')).toStrictEqual(minimalTask('shared'));
	});

	it('refuses to read a row whose status this version does not know', () => {
		const store = openStore();
		store.insert(minimalTask('odd'));
		const db = raw();
		db.prepare("UPDATE tasks SET status = 'paused' WHERE id = 'odd'").run();
		db.close();
		expect(() => store.get('odd')).toThrow(/status "paused".*Upgrade ccfleet/);
	});
});

describe('migrations', () => {
	it('bring a new file to the latest user_version with the tasks table and its indexes', () => {
		openStore().close();
		const db = raw();
		expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
		expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
		const names = db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'tasks' AND type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'").pluck().all();
		expect(names.sort()).toEqual(['tasks', 'tasks_status', 'tasks_status_priority_seq']);
		const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE status IN (SELECT value FROM json_each(\'["queued"]\')) ORDER BY seq').all() as Array<{
			detail: string;
		}>;
		expect(plan.map(step => step.detail).join('\n')).toMatch(/USING (COVERING )?INDEX tasks_status/);
		db.close();
	});

	it('run only the ones a database lacks, each in its own transaction', () => {
		openStore().close();
		const db = raw();
		const next = [...MIGRATIONS, {version: LATEST_SCHEMA_VERSION + 1, description: 'notes', sql: 'ALTER TABLE tasks ADD COLUMN note TEXT;'}];
		expect(migrate(db, next)).toBe(LATEST_SCHEMA_VERSION + 1);
		expect(migrate(db, next)).toBe(LATEST_SCHEMA_VERSION + 1);
		db.close();
	});

	it('roll back a migration that fails, leaving the version where it was', () => {
		openStore().close();
		const db = raw();
		const broken = [...MIGRATIONS, {version: LATEST_SCHEMA_VERSION + 1, description: 'half done', sql: 'CREATE TABLE extra (x); SELECT * FROM no_such_table;'}];
		expect(() => migrate(db, broken)).toThrow(/no_such_table/);
		expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
		expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").pluck().get()).toBe(0);
		db.close();
	});

	it('refuse a list whose versions are not 1, 2, 3…', () => {
		const db = new Database(':memory:');
		expect(() => migrate(db, [{version: 2, description: 'gap', sql: ''}])).toThrow(/versions must be 1, 2, 3/);
		db.close();
	});

	it('refuse a database from a newer ccfleet with an error that says to upgrade, and leave it untouched', () => {
		const db = raw();
		db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
		db.close();

		const error = errorOf(() => openStore());
		expect(error).toBeInstanceOf(DatabaseTooNewError);
		expect(error.message).toContain(database);
		expect(error.message).toMatch(new RegExp(`version ${LATEST_SCHEMA_VERSION + 1}.*Upgrade ccfleet`, 's'));

		const check = raw();
		expect(schemaVersion(check)).toBe(LATEST_SCHEMA_VERSION + 1);
		expect(check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'tasks'").pluck().get()).toBe(0);
		check.close();
	});
});

describe('opening errors name the path and the way out', () => {
	it('when the directory does not exist', () => {
		const missing = path.join(directory, 'no', 'such', 'dir', 'tasks.db');
		const error = errorOf(() => openStore(missing));
		expect(error).toBeInstanceOf(FleetError);
		expect(error.message).toContain(missing);
		expect(error.message).toMatch(/directory does not exist.*Create the directory/);
	});

	it('when the file is not a database', () => {
		fs.writeFileSync(database, 'these are notes, not a database\n'.repeat(200));
		const error = errorOf(() => openStore());
		expect(error).toBeInstanceOf(FleetError);
		expect(error.message).toContain(database);
		expect(error.message).toMatch(/not a SQLite database.*Move it aside/);
		expect(error.cause).toBeInstanceOf(Error);
	});

	it('when the path is a directory', () => {
		const error = errorOf(() => openStore(directory));
		expect(error).toBeInstanceOf(FleetError);
		expect(error.message).toContain(directory);
		expect(error.message).toMatch(/is a directory/);
	});
});

describe('durability when the process is killed', () => {
	const childArgs = (...args: string[]): string[] => ['--import', 'tsx', dieFixture, database, ...args];

	it('keeps all 100 tasks a process inserted before it was SIGKILLed', () => {
		const child = spawnSync(process.execPath, childArgs('100'), {cwd: repoRoot, encoding: 'utf8', timeout: 60_000});
		expect(child.signal, child.stderr).toBe('SIGKILL');
		expect(child.stdout.trim().split('\n')).toHaveLength(100);
		// The kill left a WAL that was never checkpointed; reopening must replay it.
		expect(fs.statSync(`${database}-wal`).size).toBeGreaterThan(0);

		const tasks = openStore().list();
		expect(tasks).toHaveLength(100);
		expect(tasks.map(task => task.id)).toEqual(Array.from({length: 100}, (_, index) => `t${index}`));
		expect(tasks[42]).toMatchObject({id: 't42', prompt: 'task 42', status: 'queued'});
	});

	it('keeps every insert that returned before another process killed the writer mid-stream', async () => {
		const child = spawn(process.execPath, childArgs('0', '--wait'), {cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const exited = new Promise<NodeJS.Signals | null>(resolve => {
			child.on('exit', (_code, signal) => {
				resolve(signal);
			});
		});
		await new Promise<void>((resolve, reject) => {
			child.stdout.on('data', (chunk: Buffer) => {
				stdout += chunk.toString();
				if (stdout.split('\n').length > 200) {
					child.kill('SIGKILL');
					resolve();
				}
			});
			child.on('exit', () => {
				reject(new Error(`child exited early: ${stderr}`));
			});
		});
		expect(await exited).toBe('SIGKILL');

		const acknowledged = stdout.split('\n').filter(line => line !== '');
		const stored = new Set(
			openStore()
				.list()
				.map(task => task.id),
		);
		expect(acknowledged.length).toBeGreaterThanOrEqual(200);
		for (const id of acknowledged) expect(stored.has(id), id).toBe(true);
	});
});
