import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// A skipped task is as ended as a failed one: every CLI command that waits for an end must return for it.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function delegate(args: string[]): Promise<string> {
	const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', '--json', ...args]);
	if (exitCode !== 0) throw new Error(`delegate failed: ${stderr}`);
	return (JSON.parse(stdout) as TaskView).id;
}

describe('ccfleet CLI and a task that ends skipped', () => {
	it('wait, logs --follow and delegate --wait return, and only completion counts as success', async () => {
		const failing = await delegate(['--timeout', '2s', 'Think slowly [[slow:30000]]']);
		const skipped = await delegate(['--depends-on', failing, '--on-dependency-failure', 'skip', 'Never runs [[reply:ran anyway]]']);

		const waited = await sandbox.cli(['wait', skipped]);
		expect(waited.stdout).toContain(`${skipped} skipped: Skipped: dependency ${failing} failed`);
		expect(waited.exitCode).toBe(1);
		const waitedForFailure = await sandbox.cli(['wait', failing]);
		expect(waitedForFailure.stdout).toContain(`${failing} failed: Timed out after 2 s`);
		expect(waitedForFailure.exitCode).toBe(1);

		const followed = await sandbox.cli(['logs', skipped, '--follow']);
		expect(followed.stdout).toContain(`[ccfleet] task ${skipped} skipped: Skipped: dependency ${failing} failed`);
		expect(followed.exitCode).toBe(0);

		const direct = await sandbox.cli(['delegate', '--wait', '--json', '--depends-on', failing, '--on-dependency-failure', 'skip', 'Never runs either']);
		expect((JSON.parse(direct.stdout) as TaskView).status).toBe('skipped');
		expect(direct.exitCode).toBe(1);
	}, 60_000);
});
