import {randomUUID} from 'node:crypto';
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {HookServer} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import type {UsageLimitReport, WorkerDriver} from '../../source/core/ports/worker-driver.js';
import {startMockApi, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// How each driver brings claude 2.1.330's usage-limit reports to the core, with the real binary logged in as a
// subscription (the only path on which claude reports the limit) on the mock API.
let mock: MockApi;
let claudeEnv: ClaudeEnv;
let cwd: string;
const hooks = new HookServer();
const handles: Array<{stop(reason: string): Promise<void>}> = [];

class UsageListener extends RecordingListener {
	limits: UsageLimitReport[] = [];

	onUsageLimit(report: UsageLimitReport): void {
		this.limits.push(report);
	}
}

beforeAll(async () => {
	mock = await startMockApi();
	cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-usage-limit-'));
	claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [cwd], auth: 'subscription'});
	await hooks.listen();
});

afterAll(async () => {
	await hooks.close();
	await mock.close();
	claudeEnv.cleanup();
});

function subscriptionEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, ...claudeEnv.env};
	// A key in the caller's environment would put claude on the API-key path, which reports no usage limit.
	delete env['ANTHROPIC_API_KEY'];
	return env;
}

function run(driver: WorkerDriver, prompt: string, mode: 'headless' | 'pty', session: {sessionId?: string; resume?: boolean} = {}) {
	const listener = new UsageListener();
	const taskId = `limit-${randomUUID().slice(0, 8)}`;
	const sessionId = session.sessionId ?? randomUUID();
	const handle = driver.start({taskId, prompt, cwd, sessionId, resume: session.resume ?? false, permissionMode: 'default', mode}, listener);
	handles.push(handle);
	return {listener, handle, sessionId};
}

const headless = () => new HeadlessWorkerDriver({claudePath: claudeBinary(), env: subscriptionEnv(), killGraceMs: 1_000});
const ptyDriver = () => new PtyWorkerDriver({claudePath: claudeBinary(), env: subscriptionEnv(), hooks, trustWorkspace: true, approveApiKey: true, killGraceMs: 1_000});

/** The mock states resets in whole Unix seconds, rounded up. */
const statedReset = (epochMs: number) => Math.ceil(epochMs / 1000) * 1000;

// claude's own continue after a reset comes 30 to 90 s after it (a random delay of its own), so that test runs on a mock
// of its own, side by side with the others, which share one mock whose limit they set and lift one test at a time.
describe.concurrent('on the shared mock, one test at a time', () => {
	afterEach(async () => {
		mock.limitUsageUntil(0);
		mock.warnUsage(false);
		await Promise.all(handles.splice(0).map(async handle => handle.stop('test over')));
	});

	describe.sequential('HeadlessWorkerDriver at the usage limit', () => {
		it('reports the rejection with the reset to the second and exits with usageLimit, not as transient', async () => {
			const resetsAt = Date.now() + 47 * 60_000 + 13_500;
			mock.limitUsageUntil(resetsAt);
			const {listener} = run(headless(), 'Hello [[reply:never answered]]', 'headless');
			const exit = await waitFor('exit', () => listener.exit, 40_000);
			expect(listener.limits).toEqual([{status: 'rejected', resetsAt: statedReset(resetsAt), kind: 'five_hour'}]);
			expect(exit.usageLimit).toEqual({status: 'rejected', resetsAt: statedReset(resetsAt), kind: 'five_hour'});
			expect(exit.transient).toBeUndefined();
			expect(exit.exitCode).toBe(1);
			expect(exit.result).toBeUndefined();
			expect(listener.output).toContain("You've hit your 5-hour limit");
		});

		it('names the weekly limit, set by a prompt directive', async () => {
			const before = Date.now();
			const {listener} = run(headless(), 'Hello [[usage-limit:86400:seven_day]]', 'headless');
			const exit = await waitFor('exit', () => listener.exit, 40_000);
			expect(exit.usageLimit).toMatchObject({status: 'rejected', kind: 'seven_day'});
			expect(exit.usageLimit!.resetsAt).toBeGreaterThanOrEqual(statedReset(before + 86_400_000) - 1000);
			expect(exit.usageLimit!.resetsAt).toBeLessThanOrEqual(statedReset(Date.now() + 86_400_000));
		});

		it('continues the conversation once the reset has passed', async () => {
			const driver = headless();
			const first = run(driver, 'Hello [[usage-limit:2]] [[reply:answered after the reset]]', 'headless');
			const limited = await waitFor('exit', () => first.listener.exit, 40_000);
			const resetsAt = limited.usageLimit!.resetsAt!;
			expect(driver.canResume({cwd, sessionId: first.sessionId})).toBe(true);
			await waitFor('the reset', () => Date.now() >= resetsAt, 10_000);
			const resumed = run(driver, 'Continue', 'headless', {sessionId: first.sessionId, resume: true});
			const exit = await waitFor('exit', () => resumed.listener.exit, 40_000);
			expect(exit).toEqual({exitCode: 0, signal: null, result: 'answered after the reset'});
			// claude says the limit has lifted (status allowed, without headers to give a reset) once a request passes.
			expect(resumed.listener.limits.map(report => report.status)).not.toContain('rejected');
		});

		it('reports a warning on an ordinary answer, which still completes', async () => {
			const resetsAt = Date.now() + 2 * 3_600_000;
			mock.warnUsage({resetsAt});
			const {listener} = run(headless(), 'Hello [[reply:warned but answered]]', 'headless');
			const exit = await waitFor('exit', () => listener.exit, 40_000);
			expect(exit).toEqual({exitCode: 0, signal: null, result: 'warned but answered'});
			expect(listener.limits).toContainEqual({status: 'allowed_warning', resetsAt: statedReset(resetsAt), kind: 'five_hour'});
		});
	});

	describe.sequential('PtyWorkerDriver at the usage limit', () => {
		it('reports the rejection with the reset to the minute and leaves claude waiting for it', async () => {
			const resetsAt = Date.now() + 3 * 3_600_000 + 25_000;
			mock.limitUsageUntil(resetsAt);
			const {listener, handle} = run(ptyDriver(), 'Hello [[reply:never answered]]', 'pty');
			const report = await waitFor('a usage-limit report', () => listener.limits[0], 40_000);
			expect(report.status).toBe('rejected');
			expect(report.kind).toBe('five_hour');
			// claude shows the reset truncated to the minute; the driver reads it as the end of that minute.
			const shownMinute = Math.floor(statedReset(resetsAt) / 60_000) * 60_000;
			expect(report.resetsAt).toBe(shownMinute + 60_000);
			expect(listener.output).toContain("You've hit your 5-hour limit");
			// claude arms its own auto-continue; the driver must not end it. The screen shows it waiting.
			await waitFor('the usage-limit screen', () => handle.screen().join('\n').includes('Usage limit reached'), 20_000);
			expect(listener.exit).toBeUndefined();
			expect(isProcessAlive(listener.process!)).toBe(true);
			await handle.stop('test over');
			expect(listener.exit!.usageLimit).toEqual(report);
			expect(listener.exit!.transient).toBeUndefined();
		});
	});
});

describe.concurrent('PtyWorkerDriver after the usage limit resets, on a mock of its own', () => {
	it('reports the limit lifted when claude continues by itself after the reset, and completes', async () => {
		const ownMock = await startMockApi();
		const ownClaudeEnv = createClaudeEnv({mockUrl: ownMock.url, trustedDirs: [cwd], auth: 'subscription'});
		const env: NodeJS.ProcessEnv = {...process.env, ...ownClaudeEnv.env};
		delete env['ANTHROPIC_API_KEY'];
		const driver = new PtyWorkerDriver({claudePath: claudeBinary(), env, hooks, trustWorkspace: true, approveApiKey: true, killGraceMs: 1_000});
		const listener = new UsageListener();
		const taskId = `limit-${randomUUID().slice(0, 8)}`;
		ownMock.limitUsageUntil(Date.now() + 3_000);
		const handle = driver.start(
			{taskId, prompt: 'Hello [[reply:continued by itself]]', cwd, sessionId: randomUUID(), resume: false, permissionMode: 'default', mode: 'pty'},
			listener,
		);
		try {
			await waitFor('a usage-limit report', () => listener.limits[0], 40_000);
			// claude waits past the minute it showed, and a little more, before it sends its own "continue" prompt.
			const exit = await waitFor('exit', () => listener.exit, 150_000);
			expect(listener.limits.map(report => report.status)).toEqual(['rejected', 'allowed']);
			expect(exit).toEqual({exitCode: 0, signal: null, result: 'continued by itself'});
		} finally {
			await handle.stop('test over');
			await ownMock.close();
			ownClaudeEnv.cleanup();
		}
	}, 180_000);
});
