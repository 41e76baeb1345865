import {randomUUID} from 'node:crypto';
import {existsSync, mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import {workerProcesses} from '../../source/adapters/system/process-tree.js';
import {startMockApi, toolDoneReply, toolRefusedReply, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// The headless driver (claude -p, stream-json both ways) against the real claude on the mock API.
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

function run(prompt: string, resume?: string) {
	const driver = new HeadlessWorkerDriver({claudePath: claudeBinary(), env: {...process.env, ...claudeEnv.env}, killGraceMs: 1_000});
	const listener = new RecordingListener();
	const taskId = `headless-${randomUUID().slice(0, 8)}`;
	const sessionId = resume ?? randomUUID();
	const handle = driver.start({taskId, prompt, cwd, sessionId, resume: resume !== undefined, permissionMode: 'default', mode: 'headless'}, listener);
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

	it('takes a prompt far beyond one argv string (128 KiB) on stdin', async () => {
		// claude itself refuses prompts past its context window (3 MB here gave "Prompt is too long").
		const big = `${'0123456789abcdef'.repeat(40_000)}\nBIG-PROMPT-END [[reply:got it all]]`;
		const {listener} = run(big);
		const exit = await waitFor('exit', () => listener.exit, 60_000);
		expect(exit.result).toBe('got it all');
		expect(mock.mainRequests().some(request => JSON.stringify(request.body).includes('BIG-PROMPT-END'))).toBe(true);
	});

	it('turns a permission prompt into a question and passes approve or deny back', async () => {
		const approved = run('Run [[tool:bash:echo headless-approved > approved.txt && cat approved.txt]]');
		await waitFor('needs_input', () => approved.listener.states.includes('needs_input'), 40_000);
		expect(approved.listener.questions[0]).toMatchObject({toolName: 'Bash', toolInput: {command: 'echo headless-approved > approved.txt && cat approved.txt'}});
		approved.handle.answer({behavior: 'allow'});
		expect((await waitFor('exit', () => approved.listener.exit, 40_000)).result).toBe(toolDoneReply);
		expect(approved.listener.output).toContain('⎿ headless-approved');

		const denied = run('Run [[tool:bash:echo headless-denied > nope.txt]]');
		await waitFor('needs_input', () => denied.listener.states.includes('needs_input'), 40_000);
		denied.handle.answer({behavior: 'deny', message: 'no'});
		expect((await waitFor('exit', () => denied.listener.exit, 40_000)).result).toBe(toolRefusedReply);
		expect(existsSync(path.join(cwd, 'nope.txt'))).toBe(false);
	});

	it('resumes a conversation', async () => {
		const first = run('Remember heron [[reply:heron noted]]');
		await waitFor('first exit', () => first.listener.exit, 40_000);
		const second = run('Which bird? [[reply:it was heron]]', first.sessionId);
		expect((await waitFor('second exit', () => second.listener.exit, 40_000)).result).toBe('it was heron');
		const bodies = mock.mainRequests().map(request => JSON.stringify(request.body));
		expect(bodies.some(body => body.includes('Remember heron') && body.includes('Which bird?'))).toBe(true);
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
