import {createHash} from 'node:crypto';
import {closeSync, openSync, readFileSync, writeSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {createTask} from '../../source/core/domain/task.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// A database file with damaged pages is met by the real daemon at start: it must say which file, that the file is
// left as it is, and what to do, in one message without a stack trace; and it must not write a byte to the file.
const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_CLAUDE_BIN: fakeClaude});
});

afterAll(async () => {
	await sandbox.cleanup();
});

/** A real ccfleet database with a few hundred tasks, half of them left running (so recovery reads them all). */
function writeDatabase(file: string): void {
	const store = new SqliteTaskStore(file);
	const defaults = {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 60_000} as const;
	for (let n = 0; n < 300; n++) {
		const task = createTask(
			{prompt: `task ${n} ${'words '.repeat(80)}`, cwd: sandbox.project},
			{id: `t${n}`, sessionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`},
			Date.now(),
			defaults,
		);
		store.insert(n % 2 === 0 ? task : {...task, status: 'running', attempts: 1, startedAt: Date.now()});
	}
	store.close();
}

/** Writes garbage over some of the pages that hold the tasks table's rows (all of it in the main file, no WAL left). */
function damageTaskPages(file: string): void {
	const db = new Database(file);
	db.pragma('wal_checkpoint(TRUNCATE)');
	const pageSize = db.pragma('page_size', {simple: true}) as number;
	const pages = db.prepare("SELECT pageno FROM dbstat WHERE name = 'tasks' AND pagetype = 'leaf' ORDER BY pageno").all() as {pageno: number}[];
	db.close();
	expect(pages.length).toBeGreaterThan(8);
	const fd = openSync(file, 'r+');
	try {
		for (const {pageno} of pages.slice(2, 6)) writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (pageno - 1) * pageSize);
	} finally {
		closeSync(fd);
	}
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the daemon meets a damaged database', () => {
	it('stops with one clear message naming the file, leaves the file untouched, and says what to do', async () => {
		const file = path.join(sandbox.home, 'ccfleet.db');
		writeDatabase(file);
		damageTaskPages(file);
		const before = digest(file);

		const {exitCode, stderr} = await sandbox.cli(['--daemon']);
		expect(exitCode).toBe(1);
		expect(stderr).toContain(`The ccfleet database at ${file} is damaged (database disk image is malformed)`);
		expect(stderr).toContain('never overwrites it');
		expect(stderr).toMatch(/move .*ccfleet\.db and its -wal and -shm files aside \(or restore them from a backup\)/);
		expect(stderr).not.toMatch(/SqliteError|^\s+at /m);
		expect(digest(file)).toBe(before);
	}, 60_000);
});
