import {randomUUID} from 'node:crypto';
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {HookServer} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import type {WorkerMode} from '../../source/core/domain/task.js';
import type {WorkerSpec} from '../../source/core/ports/worker-driver.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// A failed worker's reason is what a person reads first: it must carry claude's own words, not a status that
// contradicts them or the hint claude prints on its way out.
const failingClaude = fileURLToPath(new URL('../fixtures/failing-claude.sh', import.meta.url));
const erroringHeadlessClaude = fileURLToPath(new URL('../fixtures/erroring-headless-claude.sh', import.meta.url));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-failure-text-'));
const hooks = new HookServer();

beforeAll(() => hooks.listen());
afterAll(() => hooks.close());

function spec(mode: WorkerMode): WorkerSpec {
	return {taskId: `f-${randomUUID().slice(0, 8)}`, prompt: 'hello', cwd, sessionId: randomUUID(), resume: false, permissionMode: 'default', mode};
}

describe('failure reasons in claude’s own words', () => {
	it('pty: a claude that fails at start keeps its message, not the resume hint it prints as it leaves', async () => {
		const driver = new PtyWorkerDriver({claudePath: failingClaude, env: process.env, hooks, trustWorkspace: true, approveApiKey: true, killGraceMs: 500});
		const listener = new RecordingListener();
		driver.start(spec('pty'), listener);
		const exit = await waitFor('exit', () => listener.exit);
		expect(exit.exitCode).toBe(1);
		expect(exit.error).toContain('claude ended before finishing its turn');
		expect(exit.error, exit.error).toContain('Error: the settings in ~/.claude/settings.json are not valid JSON (line 3). Fix the file and start claude again.');
		expect(exit.error).not.toMatch(/Resume this session|claude --resume/);
	});

	it('headless: an API error reads as a failed turn with claude’s message, never "(success)"', async () => {
		const driver = new HeadlessWorkerDriver({claudePath: erroringHeadlessClaude, env: process.env});
		const listener = new RecordingListener();
		driver.start(spec('headless'), listener);
		const exit = await waitFor('exit', () => listener.exit);
		expect(exit.error).toMatch(/^claude's turn failed: API Error: 400 .*prompt is too long/);
		expect(exit.error).not.toContain('success');
	});
});
