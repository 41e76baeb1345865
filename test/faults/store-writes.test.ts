import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {afterEach, describe, expect, it} from 'vitest';
import {FileOutputLog} from '../../source/adapters/fs/file-output-log.js';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {systemClock} from '../../source/adapters/system/system-clock.js';
import {loadConfig} from '../../source/config.js';
import {startCore, type CoreHost} from '../../source/core-host.js';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import type {Logger} from '../../source/core/ports/logger.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {SequentialIds} from '../fakes/sequential-ids.js';
import {waitFor} from '../helpers/wait-for.js';

// A store write the database refuses (another process holds its lock; the disk is full) must not lose a task's end:
// the fleet goes on from the end it knows, writes it once the database takes writes again, never runs the task again,
// and never freezes its event loop waiting for a lock meanwhile.
const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Errors the core logged. */
function recordingLogger(): Logger & {errors: string[]} {
	const errors: string[] = [];
	return {errors, debug() {}, info() {}, warn() {}, error: message => void errors.push(message)};
}

/** The status the database file itself holds for a task, read through a connection of the test's own. */
function storedStatus(file: string, id: string): string | undefined {
	const db = new Database(file, {readonly: true});
	try {
		return (db.prepare('SELECT status FROM tasks WHERE id = ?').get(id) as {status: string} | undefined)?.status;
	} finally {
		db.close();
	}
}

/** Another process that takes the database's write lock (BEGIN EXCLUSIVE) and holds it until it is told to let go. */
async function lockFromAnotherProcess(file: string): Promise<{release(): Promise<void>}> {
	const script = `
		const db = new (require('better-sqlite3'))(process.argv[1]);
		db.pragma('busy_timeout = 10000');
		db.exec('BEGIN EXCLUSIVE');
		process.stdout.write('locked\\n');
		process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
	const child: ChildProcess = spawn(process.execPath, ['-e', script, file], {cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit']});
	let said = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		said += chunk.toString();
	});
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	cleanups.push(() => void child.kill('SIGKILL'));
	await waitFor('the other process to hold the lock', () => said.includes('locked') || child.exitCode !== null, 10_000);
	if (child.exitCode !== null) throw new Error('the locking process exited before it took the lock');
	return {
		async release() {
			child.stdin!.write('go\n');
			await exited;
		},
	};
}

/** Measures the longest gap between ticks of a 10 ms timer: how long the event loop was held at a stretch. */
function startDriftProbe(): {stop(): number} {
	let last = performance.now();
	let longest = 0;
	const timer = setInterval(() => {
		const now = performance.now();
		longest = Math.max(longest, now - last);
		last = now;
	}, 10);
	return {
		stop() {
			clearInterval(timer);
			return longest;
		},
	};
}

describe('a task ends while another process holds the database locked', () => {
	it('ends completed in memory at once, is written once the lock goes, never blocks the event loop, and is not run again after a restart', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-locked-'));
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-locked-project-'));
		cleanups.push(() => rmSync(home, {recursive: true, force: true}));
		const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'};
		const config = loadConfig(env);
		const logger = recordingLogger();
		let host: CoreHost = await startCore(config, logger, env);
		cleanups.push(() => host.close());
		const task = host.fleet.submit({prompt: 'work a while [[fake:sleep=2]]', cwd: project});
		await waitFor('the worker to run', () => host.fleet.get(task.id).worker);

		const lock = await lockFromAnotherProcess(config.databasePath);
		const probe = startDriftProbe();
		// The worker ends while the lock is held: the fleet knows the end at once, though the database could not take it.
		await waitFor('the task to end in the fleet', () => host.fleet.get(task.id).status === 'completed', 20_000);
		await waitFor('the refused write to be reported', () => logger.errors.find(message => message.includes(`Could not save task ${task.id}`)));
		expect(logger.errors.join('\n')).toMatch(/another process holds its lock.*fuser/);
		expect(host.fleet.list({statuses: ['running']}).map(t => t.id)).not.toContain(task.id);
		expect(host.fleet.list({statuses: ['completed']}).map(t => t.id)).toContain(task.id);
		expect(host.fleet.counts().completed).toBe(1);
		// fleet_status and `ccfleet status` say that changes wait to be written, and why.
		expect(host.fleet.unwrittenChanges()).toMatchObject({count: 1, reason: expect.stringMatching(/lock/) as unknown});
		// Several retries meet the lock before it goes.
		const retriesUnderLock = Date.now() + 1_500;
		await waitFor('retries to meet the lock', () => Date.now() > retriesUnderLock);
		expect(storedStatus(config.databasePath, task.id)).toBe('running');
		await lock.release();

		await waitFor('the end to reach the database', () => storedStatus(config.databasePath, task.id) === 'completed', 10_000);
		expect(host.fleet.unwrittenChanges()).toBeUndefined();
		const longestStallMs = probe.stop();
		expect(longestStallMs, `the event loop was held for ${Math.round(longestStallMs)} ms at a stretch`).toBeLessThan(300);

		await host.close();
		host = await startCore(config, logger, env);
		expect(host.recovery).toEqual({queued: 0, resumed: 0, restarted: 0, failed: 0});
		expect(host.fleet.get(task.id)).toMatchObject({status: 'completed', attempts: 1, result: `fake result for ${task.id}`});
		expect(host.fleet.workers()).toEqual([]);
	}, 60_000);
});

describe("the core stops while the database still refuses a task's end", () => {
	it('keeps the end in a journal, writes it first at the next start, and does not run the task again', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-journal-'));
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-journal-project-'));
		cleanups.push(() => rmSync(home, {recursive: true, force: true}));
		const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'};
		const config = loadConfig(env);
		const logger = recordingLogger();
		let host: CoreHost = await startCore(config, logger, env);
		cleanups.push(() => host.close());
		const task = host.fleet.submit({prompt: 'work a while [[fake:sleep=1]]', cwd: project});
		await waitFor('the worker to run', () => host.fleet.get(task.id).worker);
		const lock = await lockFromAnotherProcess(config.databasePath);
		await waitFor('the task to end in the fleet', () => host.fleet.get(task.id).status === 'completed', 20_000);
		await host.close();
		const journal = path.join(home, 'unwritten-changes.json');
		expect(logger.errors.join('\n')).toContain(`They are kept in ${journal} and written first at the next start`);
		expect(existsSync(journal)).toBe(true);
		expect(statSync(journal).mode & 0o777).toBe(0o600);
		await lock.release();
		expect(storedStatus(config.databasePath, task.id)).toBe('running');

		host = await startCore(config, logger, env);
		expect(host.recovery).toEqual({queued: 0, resumed: 0, restarted: 0, failed: 0});
		expect(host.fleet.get(task.id)).toMatchObject({status: 'completed', attempts: 1, result: `fake result for ${task.id}`});
		expect(storedStatus(config.databasePath, task.id)).toBe('completed');
		expect(existsSync(journal)).toBe(false);
		expect(host.fleet.workers()).toEqual([]);
	}, 60_000);
});

/**
 * A 2 MB tmpfs when this machine lets the test mount one (root, as here); otherwise the store's size cap (SQLite's
 * max_page_count), which makes SQLite fail the same writes with the same SQLITE_FULL. Either way the file is real.
 */
function fullDisk(store: () => SqliteTaskStore | undefined): {directory: string; kind: string; fill(): void; free(): void; dispose(): void} {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-full-'));
	const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', directory], {stdio: 'ignore'}).status === 0;
	const filler = path.join(directory, 'filler');
	if (mounted) {
		return {
			directory,
			kind: 'tmpfs',
			fill() {
				// Whole MiB, then KiB, until the file system refuses more.
				for (const size of [1024 * 1024, 64 * 1024, 4096, 512]) {
					try {
						for (;;) writeFileSync(filler, Buffer.alloc(size), {flag: 'a'});
					} catch {
						// Full at this size; a smaller write may still fit.
					}
				}
			},
			free: () => rmSync(filler, {force: true}),
			dispose() {
				spawnSync('umount', ['-l', directory], {stdio: 'ignore'});
				rmSync(directory, {recursive: true, force: true});
			},
		};
	}
	return {
		directory,
		kind: 'max_page_count',
		fill: () => store()!.capSize(0),
		free: () => store()!.capSize(),
		dispose: () => rmSync(directory, {recursive: true, force: true}),
	};
}

describe('tasks end while the disk is full', () => {
	it('ends all four in memory, writes them once space is freed, and a restart runs none of them again', async () => {
		let store: SqliteTaskStore | undefined;
		const disk = fullDisk(() => store);
		cleanups.push(() => disk.dispose());
		const database = path.join(disk.directory, 'ccfleet.db');
		mkdirSync(path.join(disk.directory, 'logs'));
		const open = (driver: FakeWorkerDriver, logger: Logger): Fleet => {
			store = new SqliteTaskStore(database);
			const output = new FileOutputLog(path.join(disk.directory, 'logs'), {maxBytes: 1024 * 1024});
			const fleet = createFleet({store, output, driver, clock: systemClock, system: new FakeSystemMonitor(), ids: new SequentialIds(), logger}, {staggerMs: 0});
			const opened = store;
			cleanups.push(async () => {
				await fleet.stop();
				output.close();
				opened.close();
			});
			return fleet;
		};
		const driver = new FakeWorkerDriver();
		const logger = recordingLogger();
		const fleet = open(driver, logger);
		await fleet.start();
		const ids = [1, 2, 3, 4].map(n => fleet.submit({prompt: `task ${n}`, cwd: disk.directory}).id);
		await waitFor('four workers to run', () => ids.every(id => fleet.get(id).worker));

		disk.fill();
		// A long answer needs new pages in the database, which a full disk cannot give.
		for (const id of ids) driver.worker(id).finish(`done ${id} ${'x'.repeat(20_000)}`);
		await waitFor('the four to end in the fleet', () => ids.every(id => fleet.get(id).status === 'completed'));
		expect(logger.errors.join('\n'), disk.kind).toMatch(/the disk is full.*Free disk space in/);
		expect(fleet.counts().completed).toBe(4);
		expect(ids.map(id => storedStatus(database, id))).toEqual(['running', 'running', 'running', 'running']);

		disk.free();
		await waitFor('the ends to reach the database', () => ids.every(id => storedStatus(database, id) === 'completed'), 10_000);
		for (const cleanup of cleanups.splice(1)) await cleanup();

		const restarted = new FakeWorkerDriver();
		const again = open(restarted, recordingLogger());
		expect(await again.start()).toEqual({queued: 0, resumed: 0, restarted: 0, failed: 0});
		expect(ids.map(id => again.get(id).status)).toEqual(['completed', 'completed', 'completed', 'completed']);
		expect(restarted.started).toEqual([]);
	}, 60_000);
});
