import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// A task's own budget with the real claude -p on the mock API: claude's first request alone (its system prompt and
// tools written to the cache) costs more than a tenth of a cent, so --max-budget-usd 0.001 is spent at once.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox();
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function cliJson<T>(args: string[]): Promise<T> {
	const {stdout, stderr, exitCode} = await sandbox.cli([...args, '--json']);
	if (exitCode !== 0) throw new Error(`ccfleet ${args.join(' ')} failed: ${stderr}`);
	return JSON.parse(stdout) as T;
}

const status = (id: string) => cliJson<TaskView>(['status', id]);

describe('a task budget (--max-budget-usd) on a headless worker', () => {
	it('is handed to claude, whose error_max_budget_usd fails the task saying how to raise it; retry keeps the budget', async () => {
		const task = await cliJson<TaskView>(['delegate', '--mode', 'headless', '--max-budget-usd', '$0.001', 'Spend a little [[tool:bash:echo one]]']);
		expect(task.maxBudgetUsd).toBe(0.001);
		const failed = await waitFor(
			`task ${task.id} to fail`,
			async () => {
				const view = await status(task.id);
				if (view.status === 'completed') throw new Error(`it completed: ${view.result ?? ''}`);
				return view.status === 'failed' ? view : undefined;
			},
			90_000,
		);
		// Only claude's own error_max_budget_usd says this for a headless worker: the fleet leaves its budget to claude.
		expect(failed.costUsd).toBeGreaterThan(0.001);
		expect(failed.failureReason).toMatch(/^Spent its budget of \$0\.001 \(\$\d+\.\d{4}\); raise maxBudgetUsd \(delegate it again with --max-budget-usd;/);

		const retried = await cliJson<TaskView>(['retry', task.id]);
		expect(retried).toMatchObject({retryOf: task.id, maxBudgetUsd: 0.001, mode: 'headless'});
	}, 180_000);

	it('on a pty worker, whose TUI has no such flag, the fleet stops it once the cost it reports passes the budget, with the same reason', async () => {
		const task = await cliJson<TaskView>(['delegate', '--mode', 'pty', '--max-budget-usd', '0.001', 'Answer briefly [[reply:done]]']);
		const failed = await waitFor(
			`task ${task.id} to fail`,
			async () => {
				const view = await status(task.id);
				if (view.status === 'completed') throw new Error(`it completed: ${view.result ?? ''}`);
				return view.status === 'failed' ? view : undefined;
			},
			90_000,
		);
		expect(failed.costUsd).toBeGreaterThan(0.001);
		expect(failed.failureReason).toMatch(/^Spent its budget of \$0\.001 \(\$\d+\.\d{4}\); raise maxBudgetUsd/);
	}, 180_000);
});
