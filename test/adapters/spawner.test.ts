import {readFileSync} from 'node:fs';
import os from 'node:os';
import {describe, expect, it} from 'vitest';
import {startPipedProcess} from '../../source/adapters/spawner/piped-process.js';
import {startPtyProcess, type ProcessEnd, type PtyProcess} from '../../source/adapters/spawner/pty-process.js';
import {spawnerStartsOnTerminals} from '../../source/adapters/spawner/spawner.js';
import {waitFor} from '../helpers/wait-for.js';

const env = {PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm-256color'};

function run(script: string, cwd = os.tmpdir()): {child: PtyProcess; output: () => string; ended: Promise<ProcessEnd>} {
	const child = startPtyProcess('/bin/sh', ['-c', script], {columns: 100, rows: 30, cwd, env});
	let output = '';
	child.onData(data => {
		output += data;
	});
	const ended = new Promise<ProcessEnd>(resolve => child.onExit(resolve));
	return {child, output: () => output, ended};
}

/** /proc/<pid>/stat after the command name: state, ppid, pgrp, session, tty_nr, … */
function stat(pid: number): {ppid: number; session: number; tty: number} {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
		.replace(/^.*\) /s, '')
		.split(' ');
	return {ppid: Number(fields[1]), session: Number(fields[3]), tty: Number(fields[4])};
}

describe.runIf(process.platform === 'linux')('worker processes started by the spawner', () => {
	it('runs on its own terminal as a session leader with it as the controlling terminal, started by the spawner, not the core', async () => {
		expect(spawnerStartsOnTerminals()).toBe(true);
		const {child, output, ended} = run('echo ready; read line; echo "got $line"; exit 3');
		const pid = await child.started;
		await waitFor('the shell to be ready', () => output().includes('ready'));
		const info = stat(pid);
		expect(info.session).toBe(pid);
		expect(info.tty).not.toBe(0);
		expect(info.ppid).not.toBe(process.pid);
		child.write('hello\r');
		expect(await ended).toEqual({exitCode: 3, signal: null});
		expect(output()).toContain('got hello');
	});

	it('tells a resize to the process (SIGWINCH through its controlling terminal) and its new size', async () => {
		const {child, output} = run(`trap 'echo "size $(stty size)"' WINCH; echo ready; while :; do sleep 0.05; done`);
		const pid = await child.started;
		await waitFor('the shell to be ready', () => output().includes('ready'));
		child.resize(132, 43);
		await waitFor('the shell to see the new size', () => output().includes('size 43 132'));
		process.kill(pid, 'SIGKILL');
	});

	it('reports the signal that ended it', async () => {
		const {child, ended} = run('echo ready; while :; do sleep 0.05; done');
		process.kill(await child.started, 'SIGTERM');
		expect(await ended).toEqual({exitCode: null, signal: 'SIGTERM'});
	});

	it('rejects the start with the reason when the working directory does not exist', async () => {
		const {child} = run('true', '/no/such/dir');
		await expect(child.started).rejects.toThrow(/ENOENT/);
	});

	it('still learns of the end of a process whose spawner died, and starts the next with a new spawner', async () => {
		const {child, ended} = run('echo ready; read line; exit 0');
		const pid = await child.started;
		const spawnerPid = stat(pid).ppid;
		process.kill(spawnerPid, 'SIGKILL');
		await waitFor('the spawner to be gone', () => {
			try {
				return stat(spawnerPid).ppid === -1;
			} catch {
				return true;
			}
		});
		child.write('bye\r');
		expect((await ended).exitCode).toBeNull();
		const next = run('read line; exit 5');
		const nextPid = await next.child.started;
		expect(stat(nextPid).ppid).not.toBe(spawnerPid);
		next.child.write('go\r');
		expect(await next.ended).toEqual({exitCode: 5, signal: null});
	});

	it('with pipes: every byte a process writes at once and then exits with reaches the core, and stdin reaches the process', async () => {
		const child = startPipedProcess('/bin/sh', ['-c', `head -c 300000 /dev/zero | tr '\\0' x; read line; echo "got $line" >&2; exit 4`], {cwd: os.tmpdir(), env});
		let out = 0;
		let err = '';
		child.stdout.on('data', (chunk: Buffer) => {
			out += chunk.length;
		});
		child.stderr.on('data', (chunk: Buffer) => {
			err += chunk.toString();
		});
		child.stdin.write('hello\n');
		const pid = await child.started;
		// Its own session, so that stopping it can end the whole group.
		expect(stat(pid).session).toBe(pid);
		expect(await child.ended).toEqual({exitCode: 4, signal: null});
		expect(out).toBe(300_000);
		expect(err).toBe('got hello\n');
	});

	it('with pipes: output written just before a fast exit is not lost', async () => {
		for (let i = 0; i < 5; i++) {
			const child = startPipedProcess('/bin/sh', ['-c', 'echo last words; exit 1'], {cwd: os.tmpdir(), env});
			let out = '';
			child.stdout.on('data', (chunk: Buffer) => {
				out += chunk.toString();
			});
			expect(await child.ended).toEqual({exitCode: 1, signal: null});
			expect(out).toBe('last words\n');
		}
	});
});
