import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {currentProcessIdentity, isProcessAlive, readProcessStartTime} from '../../source/adapters/system/process-info.js';

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
	const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'});
	await once(child, 'exit');
	if (child.pid === undefined) throw new Error('spawn gave no pid');
	return child.pid;
}

describe.skipIf(process.platform !== 'linux')('process-info (Linux /proc)', () => {
	it('reads a stable start time for this process', () => {
		const startTime = readProcessStartTime(process.pid);
		expect(startTime).toBeTypeOf('number');
		expect(startTime).toBeGreaterThan(0);
		expect(readProcessStartTime(process.pid)).toBe(startTime);
		expect(currentProcessIdentity()).toEqual({pid: process.pid, startTime});
	});

	it('says this process is alive with its own start time', () => {
		expect(isProcessAlive({pid: process.pid, startTime: readProcessStartTime(process.pid)})).toBe(true);
	});

	it('says a pid with another start time is not the recorded process', () => {
		const startTime = readProcessStartTime(process.pid) ?? 0;
		expect(isProcessAlive({pid: process.pid, startTime: startTime + 1})).toBe(false);
	});

	it('falls back to the pid alone when no start time was recorded', () => {
		expect(isProcessAlive({pid: process.pid})).toBe(true);
	});

	it('says a dead pid is not alive and has no start time', async () => {
		const pid = await deadPid();
		expect(readProcessStartTime(pid)).toBeUndefined();
		expect(isProcessAlive({pid})).toBe(false);
		expect(isProcessAlive({pid, startTime: 1})).toBe(false);
	});

	it('never treats pid 0 or a negative pid (process groups) as a process', () => {
		expect(isProcessAlive({pid: 0})).toBe(false);
		expect(isProcessAlive({pid: -1})).toBe(false);
		expect(readProcessStartTime(0)).toBeUndefined();
	});

	it('parses the start time even when the process name holds spaces and parentheses', async () => {
		const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => { process.title = 'a) b (c'; console.log('renamed'); }); console.log('ready');`], {
			stdio: ['pipe', 'pipe', 'inherit'],
		});
		try {
			await once(child.stdout, 'data');
			const pid = child.pid ?? 0;
			const before = readProcessStartTime(pid);
			child.stdin.write('go\n');
			await once(child.stdout, 'data');
			expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toContain(') b (');
			expect(readProcessStartTime(pid)).toBe(before);
			expect(isProcessAlive({pid, startTime: before})).toBe(true);
		} finally {
			child.kill('SIGKILL');
		}
	});
});
