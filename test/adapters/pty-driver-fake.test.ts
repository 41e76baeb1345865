import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HookServer} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import type {WorkerSpec} from '../../source/core/ports/worker-driver.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// The driver's plumbing (pty, hooks, exit handling, kill) against the fake claude; test/e2e covers the real one.
const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));
const hooks = new HookServer();
let driver: PtyWorkerDriver;
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-pty-'));
let n = 0;

beforeAll(async () => {
	await hooks.listen();
	driver = new PtyWorkerDriver({claudePath: fakeClaude, env: process.env, hooks, trustWorkspace: true, approveApiKey: true, killGraceMs: 500});
});
afterAll(() => hooks.close());

function spec(prompt: string): WorkerSpec {
	n++;
	return {taskId: `w${n}`, prompt, cwd, sessionId: `00000000-0000-4000-8000-00000000000${n}`, resume: false, permissionMode: 'acceptEdits', mode: 'pty'};
}

describe('PtyWorkerDriver with the fake claude', () => {
	it('reports spawn, busy, idle and the Stop result, then exits 0 after /exit', async () => {
		const listener = new RecordingListener();
		driver.start(spec('hello'), listener);
		const exit = await waitFor('exit', () => listener.exit);
		expect(exit).toEqual({exitCode: 0, signal: null, result: 'fake result for w1'});
		expect(listener.states).toEqual(['starting', 'busy', 'idle']);
		expect(listener.process!.pid).toBeGreaterThan(0);
		expect(listener.process!.startTime).toBeGreaterThan(0);
		expect(listener.output).toContain('fake result for w1');
	});

	it('completes a finished turn whose claude is too slow to leave after /exit: it is ended, and that end is no failure', async () => {
		const listener = new RecordingListener();
		driver.start(spec('done, then lingers [[fake:slow-exit]]'), listener);
		const exit = await waitFor('exit', () => listener.exit, 20_000);
		expect(exit).toEqual({exitCode: 0, signal: null, result: `fake result for w${n}`});
		expect(isProcessAlive(listener.process!)).toBe(false);
	}, 30_000);

	it('reports a non-zero exit with the last screen as the reason', async () => {
		const listener = new RecordingListener();
		driver.start(spec('[[fake:exit=3]]'), listener);
		const exit = await waitFor('exit', () => listener.exit);
		expect(exit.exitCode).toBe(3);
		expect(exit.result).toBeUndefined();
		expect(exit.error).toMatch(/ended before finishing its turn.*fake claude ready/);
	});

	it('holds a permission question until it is answered, and passes the answer back', async () => {
		const listener = new RecordingListener();
		const handle = driver.start(spec('[[fake:permission]]'), listener);
		await waitFor('needs_input', () => listener.states.includes('needs_input'));
		expect(listener.questions[0]).toEqual({toolName: 'Bash', toolInput: {command: 'rm -rf /tmp/x'}, question: 'Allow Bash(rm -rf /tmp/x)?'});
		expect(handle.answer({behavior: 'deny', message: 'no thanks'})).toBe(true);
		expect(handle.answer({behavior: 'allow'})).toBe(false);
		await waitFor('exit', () => listener.exit);
		// The fake prints the hook's HTTP answer: the decision claude would act on.
		expect(handle.screen().join('')).toContain('"decision":{"behavior":"deny","message":"no thanks"}');
		expect(listener.output).toContain('permission denied');
	});

	it('stops a worker by ending its whole session, leaving no process behind', async () => {
		const listener = new RecordingListener();
		const handle = driver.start(spec('[[fake:sleep=30]]'), listener);
		await waitFor('busy', () => listener.states.includes('busy'));
		const started = Date.now();
		await handle.stop('test');
		expect(Date.now() - started).toBeLessThan(2_000);
		expect(listener.exit!.exitCode).toBeNull();
		expect(listener.exit!.signal).toBe('SIGTERM');
		expect(isProcessAlive(listener.process!)).toBe(false);
	});

	it('refuses hook calls with a wrong secret', async () => {
		const registration = hooks.register('intruder-test', () => ({}));
		const response = await fetch(`${registration.url}/Stop`, {method: 'POST', headers: {'x-ccfleet-secret': 'wrong'}, body: '{}'});
		expect(response.status).toBe(403);
		const ok = await fetch(`${registration.url}/Stop`, {method: 'POST', headers: {'x-ccfleet-secret': registration.secret}, body: '{}'});
		expect(ok.status).toBe(200);
		registration.unregister();
	});
});
