import {randomUUID} from 'node:crypto';
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import {workerProcesses} from '../../source/adapters/system/process-tree.js';
import {startMockApi, toolDoneReply, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// The headless driver (claude -p, stream-json both ways) against the real claude on the mock API: what only this
// driver does. What every driver must do (results, permissions, stop, resume) is pinned by
// test/contracts/worker-driver.contract.ts.
let mock: MockApi;
let claudeEnv: ClaudeEnv;
let cwd: string;

beforeAll(async () => {
	mock = await startMockApi();
	cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-headless-'));
	claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [cwd]});
});

afterAll(async () => {
	await mock.close();
	claudeEnv.cleanup();
});

function run(prompt: string) {
	const driver = new HeadlessWorkerDriver({claudePath: claudeBinary(), env: {...process.env, ...claudeEnv.env}, killGraceMs: 1_000});
	const listener = new RecordingListener();
	const taskId = `headless-${randomUUID().slice(0, 8)}`;
	const sessionId = randomUUID();
	const handle = driver.start({taskId, prompt, cwd, sessionId, resume: false, permissionMode: 'default', mode: 'headless'}, listener);
	return {driver, listener, handle, taskId, sessionId};
}

describe('HeadlessWorkerDriver with the real claude', () => {
	it("completes with the result and claude's own cost and tokens", async () => {
		const {listener, driver, sessionId} = run('Hello [[reply:headless hello]]');
		const exit = await waitFor('exit', () => listener.exit, 40_000);
		expect(exit).toEqual({exitCode: 0, signal: null, result: 'headless hello'});
		expect(listener.states).toContain('busy');
		expect(listener.states.at(-1)).toBe('idle');
		expect(listener.usage!.costUsd).toBeGreaterThan(0);
		expect(listener.usage!.tokens.output).toBeGreaterThan(0);
		expect(listener.output).toContain('headless hello');
		expect(driver.canResume({cwd, sessionId})).toBe(true);
	});

	it('reports each retry claude itself makes of a request the API turned away, so the fleet holds new starts meanwhile', async () => {
		const {listener} = run('Busy API [[status:429:2]] [[reply:through at last]]');
		const exit = await waitFor('exit', () => listener.exit, 40_000);
		expect(exit).toMatchObject({exitCode: 0, result: 'through at last'});
		expect(listener.retries).toHaveLength(2);
		for (const retry of listener.retries) expect(retry).toMatchObject({error: 'rate_limit', delayMs: expect.any(Number) as number});
		expect(listener.retries.every(retry => retry.delayMs > 0)).toBe(true);
	});

	it('takes a prompt far beyond one argv string (128 KiB) on stdin', async () => {
		// claude itself refuses prompts past its context window (3 MB here gave "Prompt is too long").
		const big = `${'0123456789abcdef'.repeat(40_000)}\nBIG-PROMPT-END [[reply:got it all]]`;
		const {listener} = run(big);
		const exit = await waitFor('exit', () => listener.exit, 60_000);
		expect(exit.result).toBe('got it all');
		expect(mock.mainRequests().some(request => JSON.stringify(request.body).includes('BIG-PROMPT-END'))).toBe(true);
	});

	it('turns a permission prompt into a question, and an approval into the tool output', async () => {
		const approved = run('Run [[tool:bash:echo headless-approved > approved.txt && cat approved.txt]]');
		await waitFor('needs_input', () => approved.listener.states.includes('needs_input'), 40_000);
		expect(approved.listener.questions[0]).toMatchObject({toolName: 'Bash', toolInput: {command: 'echo headless-approved > approved.txt && cat approved.txt'}});
		approved.handle.answer({behavior: 'allow'});
		expect((await waitFor('exit', () => approved.listener.exit, 40_000)).result).toBe(toolDoneReply);
		expect(approved.listener.output).toContain('⎿ headless-approved');
		expect(approved.listener.output).toContain('[ccfleet] permission granted: Allow Bash(');
	});

	it('stops a worker and everything it started', async () => {
		const {listener, handle, taskId} = run('Think [[slow:30000]]');
		await waitFor('busy', () => listener.states.includes('busy'), 40_000);
		await handle.stop('test');
		expect(listener.exit!.result).toBeUndefined();
		expect(isProcessAlive(listener.process!)).toBe(false);
		expect(workerProcesses(listener.process!.pid, taskId)).toEqual([]);
	});
});
