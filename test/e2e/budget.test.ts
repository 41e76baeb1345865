import type {ChildProcess} from 'node:child_process';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// The daily budget with the real claude on the mock API: its usage crosses the budget after a few tasks, the rest
// wait with the reason, raising the budget releases them, and a restart keeps what was spent.
let sandbox: Sandbox;
let daemon: ChildProcess;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '1'});
	daemon = await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function cliJson<T>(args: string[]): Promise<T> {
	const {stdout, stderr, exitCode} = await sandbox.cli([...args, '--json']);
	if (exitCode !== 0) throw new Error(`ccfleet ${args.join(' ')} failed: ${stderr}`);
	return JSON.parse(stdout) as T;
}

async function admission(): Promise<{heldBy?: string; spentTodayUsd: number; dailyBudgetUsd?: number}> {
	const {client, close} = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'budget-test'});
	try {
		const result = await client.callTool({name: 'fleet_status', arguments: {}});
		return (result.structuredContent as {admission: {heldBy?: string; spentTodayUsd: number; dailyBudgetUsd?: number}}).admission;
	} finally {
		await close();
	}
}

const delegate = async (prompt: string) => (await cliJson<TaskView>(['delegate', prompt])).id;
const status = (id: string) => cliJson<TaskView>(['status', id]);
// Each look is a CLI start-up (a third of a second of CPU or more): a pause between them leaves the CPU to the workers.
const completed = (id: string) => waitFor(`task ${id} to complete`, async () => ((await status(id)).status === 'completed' ? status(id) : undefined), 60_000, 250);

describe('the daily budget with the real claude', () => {
	it('holds the rest once usage crosses it, releases them when it is raised, and keeps the spent amount across a restart', async () => {
		const first = await completed(await delegate('First [[reply:one]]'));
		const cost = first.costUsd;
		expect(cost).toBeGreaterThan(0);
		// Room for one and a half more such tasks: the third one crosses it, and the fourth waits.
		await cliJson(['configure', '--daily-budget', String(cost * 2.5)]);
		const ids = [await delegate('Second [[reply:two]]'), await delegate('Third [[reply:three]]'), await delegate('Fourth [[reply:four]]')];
		await completed(ids[0]!);
		await completed(ids[1]!);
		const held = await waitFor('the fourth task to be held by the budget', async () => {
			const state = await admission();
			return state.heldBy?.startsWith('the daily budget of $') ? state : undefined;
		});
		expect(held.spentTodayUsd).toBeGreaterThanOrEqual(cost * 2.5);
		expect((await status(ids[2]!)).status).toBe('queued');

		await cliJson(['configure', '--daily-budget', '1000']);
		await completed(ids[2]!);

		daemon.kill('SIGTERM');
		await waitFor('the daemon to stop', () => daemon.exitCode !== null || daemon.signalCode !== null, 15_000);
		daemon = await sandbox.startDaemon({CCFLEET_DAILY_BUDGET_USD: String(cost * 2)});
		const after = await delegate('After the restart [[reply:five]]');
		const state = await waitFor('the new task to be held by the stored spending', async () => {
			const current = await admission();
			return current.heldBy?.startsWith('the daily budget of $') ? current : undefined;
		});
		expect(state.spentTodayUsd).toBeGreaterThanOrEqual(cost * 3.9);
		expect((await status(after)).status).toBe('queued');
	}, 240_000);
});
