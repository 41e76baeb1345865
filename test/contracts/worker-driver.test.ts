import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {HookServer} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import {isProcessAlive} from '../../source/adapters/system/process-info.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {startMockApi, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {describeWorkerDriver, type WorkerDriverHarness} from './worker-driver.contract.js';

/** The mock API, a throwaway claude config and a trusted folder, shared by both real drivers. */
type RealClaude = {mock: MockApi; claudeEnv: ClaudeEnv; cwd: string};
let real: Promise<RealClaude> | undefined;

async function realClaude(): Promise<RealClaude> {
	real ??= (async () => {
		const mock = await startMockApi();
		const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-driver-contract-'));
		return {mock, cwd, claudeEnv: createClaudeEnv({mockUrl: mock.url, trustedDirs: [cwd]})};
	})();
	return real;
}

afterAll(async () => {
	if (!real) return;
	const {mock, claudeEnv, cwd} = await real;
	await mock.close();
	claudeEnv.cleanup();
	rmSync(cwd, {recursive: true, force: true});
});

function realHarness(
	world: RealClaude,
	driver: WorkerDriverHarness['driver'],
	mode: WorkerDriverHarness['mode'],
	close: () => Promise<void> | void = () => undefined,
): WorkerDriverHarness {
	return {
		driver,
		mode,
		cwd: world.cwd,
		modelRequests: () => world.mock.mainRequests().map(request => JSON.stringify(request.body)),
		isRunning: process => isProcessAlive(process),
		turnTimeoutMs: 40_000,
		close,
	};
}

describeWorkerDriver('FakeWorkerDriver (autoplay)', () => {
	const driver = new FakeWorkerDriver({autoplay: true});
	return {
		driver,
		mode: 'pty',
		cwd: os.tmpdir(),
		modelRequests: () => driver.requests,
		isRunning: process => driver.isRunning(process),
		turnTimeoutMs: 2_000,
		close: () => undefined,
	};
});

describeWorkerDriver('PtyWorkerDriver with the real claude', async () => {
	const world = await realClaude();
	const hooks = new HookServer();
	await hooks.listen();
	const env = {...process.env, ...world.claudeEnv.env};
	const driver = new PtyWorkerDriver({claudePath: claudeBinary(), env, hooks, trustWorkspace: true, approveApiKey: true, killGraceMs: 1_000});
	return realHarness(world, driver, 'pty', () => hooks.close());
});

describeWorkerDriver('HeadlessWorkerDriver with the real claude', async () => {
	const world = await realClaude();
	const env = {...process.env, ...world.claudeEnv.env};
	return realHarness(world, new HeadlessWorkerDriver({claudePath: claudeBinary(), env, killGraceMs: 1_000}), 'headless');
});
