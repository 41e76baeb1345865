import {describe, expect, it} from 'vitest';
import {createFleet} from '../../source/core/fleet.js';
import type {WorkerUsage} from '../../source/core/ports/worker-driver.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';
import {waitFor} from '../helpers/wait-for.js';

const STOPPED = 'stopped: it spent its budget (maxBudgetUsd)';
const REASON =
	'Spent its budget of $0.05 ($0.0600); raise maxBudgetUsd (delegate it again with --max-budget-usd; ccfleet retry and resume keep the old budget) to let it go on.';
const spent = (costUsd: number): WorkerUsage => ({costUsd, tokens: {input: 1000, output: 100, cacheRead: 0, cacheCreation: 0}});

async function setup() {
	const driver = new FakeWorkerDriver();
	const store = new MemoryTaskStore();
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{staggerMs: 0},
	);
	await fleet.start();
	return {fleet, driver, store};
}

describe('a task budget (maxBudgetUsd) on a pty worker', () => {
	it('is given to the worker, and stops it while it waits once its cost reached the budget: the task fails saying how to raise it', async () => {
		const {fleet, driver, store} = await setup();
		const task = fleet.submit({prompt: 'spend', cwd: '/work', maxBudgetUsd: 0.05});
		const worker = driver.worker(task.id);
		expect(worker.spec).toMatchObject({mode: 'pty', maxBudgetUsd: 0.05});
		worker.listener.onState('busy');
		worker.listener.onUsage(spent(0.06));
		// In the middle of a turn it is left alone: a kill there could leave a file half written.
		expect(worker.stopReasons).toEqual([]);
		worker.listener.onState('needs_input', {toolName: 'Bash', toolInput: {command: 'make'}, question: 'Allow Bash(make)?'});
		await waitFor('the budget stop', () => store.get(task.id)?.status === 'failed');
		expect(worker.stopReasons).toEqual([STOPPED]);
		expect(store.get(task.id)).toMatchObject({status: 'failed', failureReason: REASON, costUsd: 0.06, maxBudgetUsd: 0.05});
	});

	it('stops a worker at a turn boundary when the cost it reports there passes the budget', async () => {
		const {fleet, driver, store} = await setup();
		const task = fleet.submit({prompt: 'spend', cwd: '/work', maxBudgetUsd: 0.05});
		const worker = driver.worker(task.id);
		worker.listener.onState('idle');
		worker.listener.onUsage(spent(0.06));
		await waitFor('the budget stop', () => store.get(task.id)?.status === 'failed');
		expect(worker.stopReasons).toEqual([STOPPED]);
		expect(store.get(task.id)?.failureReason).toBe(REASON);
	});

	it('leaves a worker under its budget, or a task without one, to finish', async () => {
		const {fleet, driver, store} = await setup();
		const under = fleet.submit({prompt: 'cheap', cwd: '/work', maxBudgetUsd: 0.05});
		const unlimited = fleet.submit({prompt: 'free', cwd: '/work'});
		for (const task of [under, unlimited]) {
			const worker = driver.worker(task.id);
			worker.listener.onUsage(spent(task.id === under.id ? 0.049 : 5));
			worker.listener.onState('needs_input', {toolName: 'Bash', toolInput: {}, question: 'Allow?'});
			worker.finish('done');
			expect(worker.stopReasons).toEqual([]);
		}
		await waitFor('both tasks to complete', () => [under, unlimited].every(task => store.get(task.id)?.status === 'completed'));
	});

	it('leaves a headless worker to claude, which enforces the budget itself (--max-budget-usd)', async () => {
		const {fleet, driver, store} = await setup();
		const task = fleet.submit({prompt: 'spend', cwd: '/work', mode: 'headless', maxBudgetUsd: 0.05});
		const worker = driver.worker(task.id);
		expect(worker.spec).toMatchObject({mode: 'headless', maxBudgetUsd: 0.05});
		worker.listener.onUsage(spent(0.06));
		worker.listener.onState('idle');
		expect(worker.stopReasons).toEqual([]);
		worker.exit({exitCode: 1, signal: null, error: 'claude stopped with an error (error_max_budget_usd): …', isOverBudget: true});
		await waitFor('the task to fail', () => store.get(task.id)?.status === 'failed');
		expect(store.get(task.id)?.failureReason).toBe(REASON);
	});
});
