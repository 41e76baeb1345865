import {chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openDatabase} from '../../source/adapters/sqlite/open-database.js';
import {secureStateDirectory, type StateLayout} from '../../source/adapters/system/state-dir.js';
import type {Logger} from '../../source/core/ports/logger.js';

let root: string;
let home: string;
let layout: StateLayout;
let warnings: string[];
let umask: number;
const logger: Logger = {debug() {}, info() {}, warn: message => warnings.push(message), error() {}};

beforeEach(() => {
	// The usual umask, so that the modes asserted come from ccfleet and not from a strict umask of the test run.
	umask = process.umask(0o022);
	root = mkdtempSync(path.join(tmpdir(), 'ccfleet-state-dir-'));
	home = path.join(root, 'home');
	mkdirSync(home, {mode: 0o755});
	chmodSync(home, 0o755);
	layout = {
		home,
		databasePath: path.join(home, 'ccfleet.db'),
		lockPath: path.join(home, 'ccfleet.lock'),
		daemonLogPath: path.join(home, 'daemon.log'),
		logsDirectory: path.join(home, 'logs'),
		socketPath: path.join(home, 'run', 'ccfleet.sock'),
		attachSocketPath: path.join(home, 'run', 'attach.sock'),
	};
	warnings = [];
});

afterEach(() => {
	process.umask(umask);
	rmSync(root, {recursive: true, force: true});
});

function modeOf(relative: string): string {
	return (lstatSync(path.join(home, relative)).mode & 0o777).toString(8);
}

function write(relative: string, mode: number): void {
	mkdirSync(path.dirname(path.join(home, relative)), {recursive: true});
	writeFileSync(path.join(home, relative), 'secret\n');
	chmodSync(path.join(home, relative), mode);
}

describe('secureStateDirectory', () => {
	it("tightens ccfleet's files to 0600 and its directories to 0700, and names them in one warning", () => {
		for (const file of ['ccfleet.db', 'ccfleet.db-wal', 'ccfleet.db-shm', 'ccfleet.lock', 'daemon.log', 'logs/a.log', 'patches/a.patch']) write(file, 0o644);
		write('logs/group-only.log', 0o640);
		mkdirSync(path.join(home, 'worktrees'));
		for (const directory of ['logs', 'patches', 'worktrees']) chmodSync(path.join(home, directory), 0o755);

		const tightened = secureStateDirectory(layout, logger);

		expect(modeOf('.')).toBe('700');
		for (const directory of ['logs', 'patches', 'worktrees']) expect(modeOf(directory), directory).toBe('700');
		for (const file of ['ccfleet.db', 'ccfleet.db-wal', 'ccfleet.db-shm', 'ccfleet.lock', 'daemon.log', 'logs/a.log', 'logs/group-only.log', 'patches/a.patch']) {
			expect(modeOf(file), file).toBe('600');
		}
		expect(tightened).toHaveLength(12);
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toContain(`tightened the permissions of 12 entries in ${home}`);
		expect(warnings[0]).toContain(`${home} 0755→0700`);
		expect(warnings[0]).toContain('ccfleet.db-wal 0644→0600');
		expect(warnings[0]).toContain('logs/group-only.log 0640→0600');
	});

	it('says nothing when everything is private already, and leaves stricter modes alone', () => {
		chmodSync(home, 0o700);
		write('ccfleet.db', 0o600);
		write('daemon.log', 0o400);

		expect(secureStateDirectory(layout, logger)).toEqual([]);
		expect(warnings).toEqual([]);
		expect(modeOf('daemon.log')).toBe('400');
	});

	it("leaves alone what is not ccfleet's: other files in the home, a worktree's checkout, symlink targets and sockets", async () => {
		write('notes.txt', 0o644);
		write('worktrees/abc/build.sh', 0o755);
		chmodSync(path.join(home, 'worktrees', 'abc'), 0o755);
		const outside = path.join(root, 'outside.txt');
		writeFileSync(outside, 'not ccfleet state\n');
		chmodSync(outside, 0o644);
		mkdirSync(path.join(home, 'logs'));
		symlinkSync(outside, path.join(home, 'logs', 'link.log'));
		mkdirSync(path.join(home, 'run'));
		const server = net.createServer();
		await new Promise<void>(resolve => server.listen(layout.socketPath, resolve));
		try {
			chmodSync(layout.socketPath, 0o755);
			secureStateDirectory(layout, logger);
			expect(modeOf('run/ccfleet.sock')).toBe('755');
		} finally {
			await new Promise(resolve => server.close(resolve));
		}

		expect(modeOf('notes.txt')).toBe('644');
		expect(modeOf('worktrees/abc')).toBe('755');
		expect(modeOf('worktrees/abc/build.sh')).toBe('755');
		expect((lstatSync(outside).mode & 0o777).toString(8)).toBe('644');
		expect(modeOf('worktrees')).toBe('700');
		expect(modeOf('run')).toBe('700');
	});

	it('names only the first twenty entries and counts the rest', () => {
		mkdirSync(path.join(home, 'logs'), {mode: 0o700});
		chmodSync(home, 0o700);
		for (let index = 0; index < 25; index++) write(`logs/task-${index}.log`, 0o644);

		secureStateDirectory(layout, logger);

		expect(warnings[0]).toContain('tightened the permissions of 25 entries');
		expect(warnings[0]).toMatch(/ and 5 more$/);
	});

	it('refuses a home that every user may write to, and says what to do', () => {
		chmodSync(home, 0o1777);
		expect(() => secureStateDirectory(layout, logger)).toThrow(/shared by all users.*Point CCFLEET_HOME at a directory of your own/);
		expect(lstatSync(home).mode & 0o7777).toBe(0o1777);
	});
});

describe('openDatabase', () => {
	it('creates the database and the -wal and -shm SQLite makes beside it 0600', () => {
		const db = openDatabase(layout.databasePath);
		try {
			db.exec('CREATE TABLE private_check (x)');
			for (const file of ['ccfleet.db', 'ccfleet.db-wal', 'ccfleet.db-shm']) expect(modeOf(file), file).toBe('600');
		} finally {
			db.close();
		}
	});
});
