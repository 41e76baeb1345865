import {describe, expect, it} from 'vitest';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {createFleet} from '../../source/core/fleet.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = () => new Promise(resolve => setImmediate(resolve));
const tokens = {input: 10, output: 10, cacheRead: 0, cacheCreation: 0};

/** Ids that go on after the ones an earlier fleet on the same store used. */
class LaterIds extends SequentialIds {
	override taskId(): string {
		return `later-${super.taskId()}`;
	}
}

async function setup(store = new MemoryTaskStore(), clock = new FakeClock(), ids = new SequentialIds()) {
	const driver = new FakeWorkerDriver();
	const fleet = createFleet({store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids}, {staggerMs: 0, maxWorkers: 1, dailyBudgetUsd: 1});
	await fleet.start();
	/** Runs the next worker to its end at this cost. */
	const spend = async (costUsd: number) => {
		const worker = driver.started.at(-1)!;
		worker.listener.onUsage({costUsd, tokens});
		worker.finish('done');
		clock.advance(1000);
		await settle();
	};
	return {fleet, driver, store, clock, spend};
}

describe('the daily budget', () => {
	it('holds new work once the day has spent it, says why, and lets it go when the budget is raised', async () => {
		const {fleet, driver, spend} = await setup();
		for (let i = 0; i < 4; i++) fleet.submit({prompt: `task ${i}`, cwd: '/work'});
		await spend(0.4);
		await spend(0.7);
		// $1.10 spent of $1: the third task does not start.
		expect(driver.started).toHaveLength(2);
		expect(fleet.admissionState()).toMatchObject({dailyBudgetUsd: 1, spentTodayUsd: 1.1});
		expect(fleet.admissionState().heldBy).toBe(
			'the daily budget of $1.00 is spent ($1.10 since midnight); raise it (ccfleet configure --daily-budget, or configure_fleet) or it resets at midnight',
		);
		expect(fleet.configure({dailyBudgetUsd: 5})).toMatchObject({dailyBudgetUsd: 5});
		expect(driver.started).toHaveLength(3);
		expect(fleet.admissionState().heldBy).toBe('1 of CCFLEET_MAX_WORKERS 1 workers run');
	});

	it('keeps what was spent across a restart, since spending is stored with the tasks', async () => {
		const store = new MemoryTaskStore();
		const clock = new FakeClock();
		const first = await setup(store, clock);
		first.fleet.submit({prompt: 'costly', cwd: '/work'});
		await first.spend(1.5);
		await first.fleet.stop();
		const second = await setup(store, clock, new LaterIds());
		second.fleet.submit({prompt: 'after the restart', cwd: '/work'});
		expect(second.driver.started).toHaveLength(0);
		expect(second.fleet.admissionState().spentTodayUsd).toBe(1.5);
	});

	it('starts afresh at local midnight, waking the held queue by itself', async () => {
		const clock = new FakeClock(new Date(2026, 10, 23, 22, 0).getTime());
		const {fleet, driver, spend} = await setup(new MemoryTaskStore(), clock);
		fleet.submit({prompt: 'today', cwd: '/work'});
		fleet.submit({prompt: 'tomorrow', cwd: '/work'});
		await spend(2);
		expect(driver.started).toHaveLength(1);
		clock.advance(new Date(2026, 10, 24, 0, 0).getTime() - clock.now());
		expect(driver.started).toHaveLength(2);
	});

	it('removes the budget with null, and refuses settings out of range naming what is accepted, changing nothing', async () => {
		const {fleet, driver, spend} = await setup();
		fleet.submit({prompt: 'a', cwd: '/work'});
		fleet.submit({prompt: 'b', cwd: '/work'});
		await spend(3);
		expect(driver.started).toHaveLength(1);
		expect(() => fleet.configure({cpuThresholdPercent: 120})).toThrow(
			new InvalidInputError('cpuThresholdPercent cannot be 120: No new worker starts while CPU load is at or above this percentage: above 0, at most 100.'),
		);
		expect(() => fleet.configure({maxWorkers: 0, dailyBudgetUsd: null})).toThrow(/maxWorkers cannot be 0: .* a whole number from 1 to 10000/);
		expect(() => fleet.configure({budget: 3})).toThrow(/Unknown setting budget; the settings are maxWorkers, cpuThresholdPercent/);
		expect(fleet.settings()).toMatchObject({dailyBudgetUsd: 1, cpuThresholdPercent: 80, maxWorkers: 1});
		fleet.configure({dailyBudgetUsd: null, maxWorkers: null, workerMaxRssBytes: 2 * 1024 ** 3});
		expect(fleet.settings()).toEqual({cpuThresholdPercent: 80, memoryReserveBytes: 1024 ** 3, workerMaxRssBytes: 2 * 1024 ** 3});
		expect(driver.started).toHaveLength(2);
	});
});
