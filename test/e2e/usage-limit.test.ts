import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {LIMIT_RESUME_PROMPT} from '../../source/core/fleet/worker-prompt.js';
import {connectMcpClient} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// The account's usage limit with the real claude logged in as a subscription on the mock API, reset some seconds
// ahead: six workers meet it and are parked (not failed, no attempt used), nothing else starts before the reset, then
// the parked ones go on from their conversation, starts ramp up, and all sixteen complete. Once per driver. The TUI
// tells the reset to the minute, so a pty worker is parked until the minute after the one it shows: up to 60 s more.
// The reset must leave six workers time to start and meet the limit before it: six TUI workers took more than 17 s on
// a loaded machine (this file runs beside the others, scripts/test-lanes.sh), headless ones start in a few seconds.
const RESET_IN_MS = {pty: 50_000, headless: 25_000} as const;

for (const mode of ['pty', 'headless'] as const) {
	describe(`the usage limit with the real claude (${mode})`, () => {
		let sandbox: Sandbox;

		beforeAll(async () => {
			sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '6', CCFLEET_MODE: mode, CCFLEET_STAGGER_MS: '0'}, {auth: 'subscription'});
			await sandbox.startDaemon();
		});

		afterAll(async () => {
			await sandbox.cleanup();
		});

		async function tasks(): Promise<TaskView[]> {
			const {client, close} = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'usage-limit-test'});
			try {
				const result = await client.callTool({name: 'task_status', arguments: {limit: 100}});
				return (result.structuredContent as {tasks: TaskView[]}).tasks;
			} finally {
				await close();
			}
		}

		it('parks the limited workers, holds the queue until the reset, then resumes them with their conversation, and all complete', async () => {
			const delegate = async (args: string[]) => {
				const {stdout, stderr, exitCode} = await sandbox.cli(['delegate', ...args]);
				expect(exitCode, stderr).toBe(0);
				return stdout.trim().split(/\s+/)[0]!;
			};
			// A gate that waits for a permission answer holds all sixteen back until they are all queued; answering it
			// releases them together, so six start at once, before any of them has met the limit.
			const gate = await delegate(['--permission-mode', 'default', 'Gate [[tool:bash:echo open > gate.txt]]']);
			await waitFor('the gate to ask', async () => ((await tasks()).find(task => task.id === gate)?.status === 'needs_input' ? true : undefined), 60_000);
			// The first six meet the account's limit on their first request, until RESET_IN_MS from it ([[usage-limit]]); the ten
			// others would be answered, but the fleet must not start them before the reset.
			for (let i = 0; i < 16; i++) {
				await delegate([
					'--depends-on',
					gate,
					i < 6 ? `Usage task ${i} [[usage-limit:${RESET_IN_MS[mode] / 1000}]] [[reply:done ${i}]]` : `Usage task ${i} [[reply:done ${i}]]`,
				]);
			}
			const answered = await sandbox.cli(['respond', gate, 'approve']);
			expect(answered.exitCode, answered.stderr).toBe(0);
			const parked = await waitFor(
				'six tasks parked at the limit',
				async () => {
					const all = (await tasks()).filter(task => task.id !== gate);
					return all.filter(task => task.status === 'parked').length === 6 ? all : undefined;
				},
				RESET_IN_MS[mode] - 3000,
			).catch(async (error: unknown) => {
				throw new Error(`${String(error)}; tasks: ${JSON.stringify((await tasks()).map(task => [task.id, task.status, task.attempts, task.failureReason]))}`);
			});
			expect(parked.filter(task => task.status === 'queued')).toHaveLength(10);
			expect(parked.filter(task => task.status === 'failed')).toEqual([]);
			for (const task of parked.filter(task => task.status === 'parked')) {
				expect(task.attempts).toBe(0);
				// Parked until the limit's reset, still ahead (to the second headless; to the next minute in the TUI's words).
				expect(Date.parse(task.parkedUntil!)).toBeGreaterThan(Date.now());
			}
			// Nothing starts before the reset, though six slots are free.
			const beforeReset = await tasks();
			expect(beforeReset.filter(task => task.status === 'running' || task.status === 'needs_input')).toEqual([]);

			// The ramp after the reset lets 2 start, then 4, 8… every 10 s; TUI workers on a busy machine take a while each.
			const lastReset = Math.max(...parked.filter(task => task.parkedUntil).map(task => Date.parse(task.parkedUntil!)));
			const done = await waitFor(
				'all sixteen to complete after the reset',
				async () => {
					const all = (await tasks()).filter(task => task.id !== gate);
					return all.every(task => task.status === 'completed') ? all : undefined;
				},
				lastReset - Date.now() + 180_000,
			).catch(async (error: unknown) => {
				throw new Error(`${String(error)}; tasks: ${JSON.stringify((await tasks()).map(task => [task.id, task.status, task.startedAt, task.endedAt]))}`);
			});
			expect(done).toHaveLength(16);
			// The parked ones went on from their conversation: the request after the reset carries the first prompt too.
			const resumed = sandbox.mock
				.mainRequests()
				.map(request => JSON.stringify(request.body))
				.filter(body => body.includes(LIMIT_RESUME_PROMPT));
			expect(resumed.length).toBeGreaterThanOrEqual(6);
			for (const body of resumed) expect(body).toMatch(/Usage task \d+/);
		}, 360_000);
	});
}
