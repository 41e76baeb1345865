import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Memory recycling through the real core: real pty, real process-tree measurement in /proc. The worker is the fake
// claude (its memory is what this is about, not the model), which grows past the cap and writes its transcript, so
// the recycled task goes on with --resume, and finishes.
const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_WORKER_MAX_RSS: '100MB', CCFLEET_MAX_WORKERS: '2'});
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

describe('memory recycling with real processes', () => {
	it('recycles a worker whose process tree grows past CCFLEET_WORKER_MAX_RSS, and its task completes from its conversation', async () => {
		const delegated = await sandbox.cli(['delegate', '--cwd', sandbox.project, 'Grow [[fake:grow=300]]']);
		expect(delegated.exitCode).toBe(0);
		const id = delegated.stdout.trim().split(/\s+/)[0]!;
		const done = await waitFor(
			'the task to complete after being recycled',
			async () => {
				const {stdout} = await sandbox.cli(['status', id, '--json']);
				const task = JSON.parse(stdout) as {status: string; attempts: number};
				return task.status === 'completed' ? task : undefined;
			},
			60_000,
		);
		expect(done.attempts).toBe(2);
		const {stdout: log} = await sandbox.cli(['logs', id]);
		expect(log).toMatch(/\[ccfleet\] recycled: its memory reached \d+ MB, over CCFLEET_WORKER_MAX_RSS 100 MB; it goes on from its conversation in a fresh process\./);
	});
});
