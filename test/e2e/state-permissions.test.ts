import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Another user may share the machine: the state directory holds prompts, output and results, so all of it is the
// owner's alone, whatever modes an earlier run or an older ccfleet left behind.

/** A git checkout that a task's worktree holds: its modes are its content (an executable stays executable). */
const CHECKOUT = path.join('worktrees', 'task-from-before');

let umask: number;

beforeAll(() => {
	// The usual umask, so that the modes asserted below come from ccfleet and not from a strict umask of the test run.
	umask = process.umask(0o022);
});

afterAll(() => {
	process.umask(umask);
});

type Entry = {relative: string; kind: 'file' | 'directory' | 'socket' | 'other'; mode: string};

/** Every entry under the home, the home itself first, with its octal permission bits. */
function entries(home: string, relative = '.'): Entry[] {
	const stats = lstatSync(path.join(home, relative));
	const kind = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSocket() ? 'socket' : 'other';
	const entry: Entry = {relative, kind, mode: (stats.mode & 0o777).toString(8)};
	if (kind !== 'directory') return [entry];
	return [entry, ...readdirSync(path.join(home, relative)).flatMap(name => entries(home, path.join(relative, name)))];
}

/** Entries whose mode lets anyone but the owner in (a checkout aside: the 0700 worktrees/ keeps others out of it). */
function exposed(home: string): Entry[] {
	const expected = {file: '600', directory: '700', socket: '600', other: 'none'};
	const isCheckout = (relative: string) => relative === CHECKOUT || relative.startsWith(`${CHECKOUT}${path.sep}`);
	return entries(home).filter(({relative, kind, mode}) => !isCheckout(relative) && mode !== expected[kind]);
}

async function delegateAndWait(sandbox: Sandbox, reply: string): Promise<TaskView> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--wait', '--json', `Say it [[reply:${reply}]]`]);
	if (exitCode !== 0) throw new Error(`delegate failed: ${stderr}`);
	return JSON.parse(stdout) as TaskView;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

// Each test has a sandbox (a home, a mock, a core) of its own, so the two run side by side.
describe.concurrent('the state directory is private to its owner', () => {
	it('tightens a home left readable by an earlier run, says what it tightened, and keeps new files private', async ({expect}) => {
		const sandbox = await createSandbox();
		try {
			const first = await delegateAndWait(sandbox, 'the first run');
			// The earlier run dies hard, as after a crash: the database's -wal and -shm stay behind.
			const pid = sandbox.corePid()!;
			process.kill(pid, 'SIGKILL');
			await waitFor('the first core to be gone', () => !isAlive(pid));
			const {home} = sandbox;
			for (const name of ['ccfleet.db', 'ccfleet.db-wal', 'ccfleet.db-shm', 'daemon.log', 'logs', path.join('logs', `${first.id}.log`)]) {
				expect(existsSync(path.join(home, name)), name).toBe(true);
			}
			mkdirSync(path.join(home, CHECKOUT), {recursive: true});
			writeFileSync(path.join(home, CHECKOUT, 'build.sh'), '#!/bin/sh\n');
			mkdirSync(path.join(home, 'patches'));
			writeFileSync(path.join(home, 'patches', 'task-from-before.patch'), 'a patch with a secret\n');
			for (const {relative, kind} of entries(home)) {
				if (kind === 'directory') chmodSync(path.join(home, relative), 0o755);
				if (kind === 'file') chmodSync(path.join(home, relative), 0o644);
			}
			chmodSync(path.join(home, CHECKOUT, 'build.sh'), 0o755);

			const second = await delegateAndWait(sandbox, 'the second run');

			expect(second.status).toBe('completed');
			expect(existsSync(path.join(home, 'logs', `${second.id}.log`))).toBe(true);
			expect(existsSync(path.join(home, 'ccfleet.db-wal')) && existsSync(path.join(home, 'ccfleet.db-shm'))).toBe(true);
			expect(exposed(home)).toEqual([]);
			expect((lstatSync(path.join(home, CHECKOUT, 'build.sh')).mode & 0o777).toString(8)).toBe('755');
			const tightened = readFileSync(path.join(home, 'daemon.log'), 'utf8')
				.split('\n')
				.filter(line => line.includes('tightened'));
			expect(tightened).toHaveLength(1);
			for (const name of ['ccfleet.db', 'ccfleet.db-wal', 'ccfleet.db-shm', 'daemon.log', `logs/${first.id}.log`, 'patches/task-from-before.patch', 'worktrees']) {
				expect(tightened[0], name).toContain(name);
			}
			expect(tightened[0]).not.toContain('build.sh');
		} finally {
			await sandbox.cleanup();
		}
	}, 120_000);

	it('creates a fresh home 0700 with every file in it 0600, and has nothing to tighten', async ({expect}) => {
		const sandbox = await createSandbox();
		try {
			rmSync(sandbox.home, {recursive: true});
			const task = await delegateAndWait(sandbox, 'a fresh home');

			const {home} = sandbox;
			expect(task.status).toBe('completed');
			expect(existsSync(path.join(home, 'logs', `${task.id}.log`))).toBe(true);
			expect(existsSync(path.join(home, 'ccfleet.db-wal')) && existsSync(path.join(home, 'ccfleet.db-shm'))).toBe(true);
			expect(exposed(home)).toEqual([]);
			expect(readFileSync(path.join(home, 'daemon.log'), 'utf8')).not.toContain('tightened');
		} finally {
			await sandbox.cleanup();
		}
	}, 120_000);
});
