import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HookServer} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import {workerProcesses} from '../../source/adapters/system/process-tree.js';
import type {PermissionMode} from '../../source/core/domain/task.js';
import {startMockApi, toolDoneReply, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// The pty driver against the real claude 2.1.330 on the mock Anthropic API: what only this driver does. What every
// driver must do (results, permissions, stop, resume) is pinned by test/contracts/worker-driver.contract.ts.
let mock: MockApi;
let claudeEnv: ClaudeEnv;
let trusted: string;
const hooks = new HookServer();

beforeAll(async () => {
	mock = await startMockApi();
	trusted = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-trusted-'));
	claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [trusted]});
	await hooks.listen();
});

afterAll(async () => {
	await hooks.close();
	await mock.close();
	claudeEnv.cleanup();
});

function run(prompt: string, options: {cwd?: string; permissionMode?: PermissionMode; env?: Record<string, string>} = {}) {
	const driver = new PtyWorkerDriver({
		claudePath: claudeBinary(),
		env: {...process.env, ...claudeEnv.env, ...options.env},
		hooks,
		trustWorkspace: true,
		approveApiKey: true,
		killGraceMs: 1_000,
	});
	const listener = new RecordingListener();
	const sessionId = randomUUID();
	const cwd = options.cwd ?? trusted;
	const taskId = `real-${randomUUID().slice(0, 8)}`;
	const handle = driver.start({taskId, prompt, cwd, sessionId, resume: false, permissionMode: options.permissionMode ?? 'default', mode: 'pty'}, listener);
	return {driver, listener, handle, sessionId, cwd, taskId};
}

describe('PtyWorkerDriver with the real claude', () => {
	it('completes a turn with the mock text as result, tokens and cost from the transcript', async () => {
		const {listener, driver, sessionId, cwd} = run('Say hello [[reply:Hello from the mock, for real]]');
		const exit = await waitFor('exit', () => listener.exit, 40_000);
		expect(exit).toEqual({exitCode: 0, signal: null, result: 'Hello from the mock, for real'});
		expect(listener.states).toEqual(['starting', 'busy', 'idle']);
		expect(listener.usage!.tokens.output).toBeGreaterThan(0);
		expect(listener.usage!.tokens.input + listener.usage!.tokens.cacheCreation).toBeGreaterThan(0);
		expect(listener.usage!.costUsd).toBeGreaterThan(0);
		expect(listener.output).toContain('› Say hello');
		expect(driver.canResume({cwd, sessionId})).toBe(true);
		expect(isProcessAlive(listener.process!)).toBe(false);
	});

	it('asks for permission, waits in needs_input, and runs the tool once allowed', async () => {
		const {listener, handle} = run('Write the file [[tool:bash]]');
		await waitFor('needs_input', () => listener.states.includes('needs_input'), 40_000);
		expect(listener.questions[0]).toMatchObject({toolName: 'Bash', toolInput: {command: 'echo hello-from-tool > out.txt && cat out.txt'}});
		expect(handle.answer({behavior: 'allow'})).toBe(true);
		const exit = await waitFor('exit', () => listener.exit, 40_000);
		expect(exit.result).toBe(toolDoneReply);
		expect(listener.output).toContain('⎿ hello-from-tool');
	});

	it('answers the trust dialog of a folder claude has never seen, then runs the prompt', async () => {
		const fresh = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-untrusted-'));
		const {listener} = run('Hi [[reply:trusted it]]', {cwd: fresh});
		const exit = await waitFor('exit', () => listener.exit, 40_000);
		expect(listener.output).toContain("answered claude's trust dialog");
		expect(exit).toEqual({exitCode: 0, signal: null, result: 'trusted it'});
	});

	it('answers the custom API key dialog when claude has not seen the key before', async () => {
		const unapproved = createClaudeEnv({mockUrl: mock.url, trustedDirs: [trusted], approveApiKey: false});
		try {
			const {listener} = run('Hi [[reply:key accepted]]', {env: unapproved.env});
			const exit = await waitFor('exit', () => listener.exit, 40_000);
			expect(listener.output).toContain("answered claude's api-key dialog");
			expect(exit).toEqual({exitCode: 0, signal: null, result: 'key accepted'});
		} finally {
			unapproved.cleanup();
		}
	});

	it('stops a busy worker with its whole process tree, tools included', async () => {
		const {listener, handle, taskId} = run('Run it [[tool:bash:tail -f /dev/null]]');
		await waitFor('needs_input', () => listener.states.includes('needs_input'), 40_000);
		handle.answer({behavior: 'allow'});
		const leader = listener.process!.pid;
		// claude runs Bash tools in sessions of their own, so the tool is found through the worker's marker.
		const tool = await waitFor('the tool process', () =>
			workerProcesses(leader, taskId).find(pid => {
				try {
					return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tail\u0000-f\u0000/dev/null');
				} catch {
					return false;
				}
			}),
		);
		await handle.stop('test');
		expect(listener.exit!.exitCode === null || listener.exit!.exitCode !== 0 || listener.exit!.result === undefined).toBe(true);
		expect(isProcessAlive(listener.process!)).toBe(false);
		await waitFor('the tool process to end', () => !existsSync(`/proc/${tool}`) || readFileSync(`/proc/${tool}/stat`, 'utf8').includes(') Z '), 5_000);
		expect(workerProcesses(leader, taskId)).toEqual([]);
	});
});
