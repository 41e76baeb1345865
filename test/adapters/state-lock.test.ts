import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {currentProcessIdentity, readProcessStartTime} from '../../source/adapters/system/process-info.js';
import {acquireStateLock, StateLockedError} from '../../source/adapters/system/state-lock.js';

let root: string;
let lockPath: string;
const self = currentProcessIdentity();

beforeEach(async () => {
	root = await mkdtemp(join(tmpdir(), 'ccf-'));
	lockPath = join(root, 'core.lock');
});

afterEach(async () => {
	await rm(root, {recursive: true, force: true});
});

function readLock(): unknown {
	return JSON.parse(readFileSync(lockPath, 'utf8'));
}

async function deadPid(): Promise<number> {
	const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'});
	await once(child, 'exit');
	return child.pid ?? 0;
}

it('writes the owner into the lock file and removes it on release', () => {
	const lock = acquireStateLock(lockPath, self);
	expect(readLock()).toEqual({pid: self.pid, startTime: self.startTime, startedAt: expect.any(String)});
	// No temporary file is left beside the lock.
	expect(readdirSync(root)).toEqual(['core.lock']);
	lock.release();
	expect(existsSync(lockPath)).toBe(false);
	lock.release();
});

it('refuses a second core while the first one lives', () => {
	const lock = acquireStateLock(lockPath, self);
	let thrown: unknown;
	try {
		acquireStateLock(lockPath, self);
	} catch (error) {
		thrown = error;
	}

	expect(thrown).toBeInstanceOf(StateLockedError);
	expect((thrown as StateLockedError).owner.pid).toBe(self.pid);
	expect((thrown as Error).message).toContain(`pid ${self.pid}`);
	expect((thrown as Error).message).toContain('ccfleet status');
	// The refused attempt leaves the owner's lock alone.
	expect(readLock()).toMatchObject({pid: self.pid});
	lock.release();
});

it('takes over a lock whose process is dead', async () => {
	const pid = await deadPid();
	writeFileSync(lockPath, JSON.stringify({pid, startTime: 1, startedAt: '2020-01-01T00:00:00.000Z'}));
	const lock = acquireStateLock(lockPath, self);
	expect(readLock()).toMatchObject({pid: self.pid});
	lock.release();
});

it.skipIf(process.platform !== 'linux')('takes over a lock whose pid now belongs to another process (other start time)', () => {
	const startTime = readProcessStartTime(process.pid) ?? 0;
	writeFileSync(lockPath, JSON.stringify({pid: process.pid, startTime: startTime - 1, startedAt: '2020-01-01T00:00:00.000Z'}));
	const lock = acquireStateLock(lockPath, self);
	expect(readLock()).toMatchObject({pid: self.pid, startTime});
	lock.release();
});

it('takes over a lock file that is not valid JSON', () => {
	writeFileSync(lockPath, 'garbage');
	const lock = acquireStateLock(lockPath, self);
	expect(readLock()).toMatchObject({pid: self.pid});
	lock.release();
});

it('release() leaves a lock that another core has taken over since', () => {
	const lock = acquireStateLock(lockPath, self);
	const theirs = JSON.stringify({pid: 1, startTime: 1, startedAt: '2030-01-01T00:00:00.000Z'});
	writeFileSync(lockPath, theirs);
	lock.release();
	expect(readFileSync(lockPath, 'utf8')).toBe(theirs);
});

it('a released lock can be acquired again', () => {
	acquireStateLock(lockPath, self).release();
	const again = acquireStateLock(lockPath, self);
	expect(existsSync(lockPath)).toBe(true);
	again.release();
});

it.skipIf(process.platform !== 'linux')('refuses while another live process holds the lock', async () => {
	const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'});
	try {
		const pid = child.pid ?? 0;
		await expect.poll(() => readProcessStartTime(pid)).toBeTypeOf('number');
		writeFileSync(lockPath, JSON.stringify({pid, startTime: readProcessStartTime(pid), startedAt: '2030-01-01T00:00:00.000Z'}));
		expect(() => acquireStateLock(lockPath, self)).toThrow(StateLockedError);
		expect(() => acquireStateLock(lockPath, self)).toThrow(`pid ${pid}`);
	} finally {
		child.kill('SIGKILL');
		await once(child, 'exit');
	}

	// Once that process is gone its lock is stale.
	acquireStateLock(lockPath, self).release();
});
