import {describe, expect, it} from 'vitest';
import {createFleet, type FleetOptions} from '../../source/core/fleet.js';
import {DEFAULT_RESOURCE_OPTIONS} from '../../source/core/fleet/resource-gauge.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const MB = 1024 ** 2;
const GB = 1024 ** 3;
const settle = () => new Promise(resolve => setImmediate(resolve));

/** A fleet with no ceiling: only the machine's CPU and memory, as the fake monitor reports them, decide. */
async function machine(sample: {cpuPercent?: number; memoryFreeBytes?: number}, options: Partial<FleetOptions> = {}) {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver();
	const system = new FakeSystemMonitor();
	system.sampleValue = {cpuPercent: 10, memoryFreeBytes: 8 * GB, memoryTotalBytes: 16 * GB, ...sample};
	const fleet = createFleet(
		{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock, system, ids: new SequentialIds()},
		{
			maxWorkers: undefined,
			staggerMs: 0,
			systemSampleMs: 1000,
			memorySampleMs: 2000,
			resources: {...DEFAULT_RESOURCE_OPTIONS, memoryReserveBytes: 1 * GB, settleMs: 10_000, initialWorkerBytes: {pty: 250 * MB, headless: 125 * MB}},
			...options,
		},
	);
	await fleet.start();
	const submit = (count: number, mode: 'pty' | 'headless' = 'pty') => {
		for (let i = 0; i < count; i++) fleet.submit({prompt: `task ${i}`, cwd: '/work', mode});
	};
	/** Moves time on by whole sample periods, letting each asynchronous sample land. */
	const tick = async (ms: number) => {
		for (let passed = 0; passed < ms; passed += 500) {
			clock.advance(500);
			await settle();
		}
	};
	return {fleet, driver, system, clock, submit, tick};
}

describe('admission by measured resources', () => {
	it('holds the queue while CPU load is at or above the threshold, but never starves it with nothing running', async () => {
		const {fleet, driver, system, submit, tick} = await machine({cpuPercent: 95});
		submit(3);
		expect(driver.started).toHaveLength(1);
		expect(fleet.admissionState().heldBy).toBe('CPU load 95 % is at or above CPU_THRESHOLD 80 %');
		system.sampleValue = {...system.sampleValue, cpuPercent: 40};
		await tick(1000);
		expect(driver.started).toHaveLength(3);
		expect(fleet.admissionState().heldBy).toBeUndefined();
	});

	it('never holds for CPU with the threshold at 100, even on a machine that reports a load of exactly 100 %', async () => {
		const {fleet, driver, submit} = await machine({cpuPercent: 100}, {resources: {...DEFAULT_RESOURCE_OPTIONS, cpuThresholdPercent: 100, memoryReserveBytes: 0}});
		submit(3);
		expect(driver.started).toHaveLength(3);
		expect(fleet.admissionState().heldBy).toBeUndefined();
	});

	it('holds the queue at the memory reserve, and lets it go when memory is free again', async () => {
		// 1 GB reserve + 250 MB for one worker: 1.2 GB free is not enough for even one.
		const {fleet, driver, system, submit, tick} = await machine({memoryFreeBytes: 1.2 * GB});
		submit(2);
		expect(driver.started).toHaveLength(0);
		expect(fleet.admissionState().heldBy).toMatch(/MB free above the MEMORY_RESERVE of 1024 MB; a pty worker needs about 250 MB/);
		system.sampleValue = {...system.sampleValue, memoryFreeBytes: 1.6 * GB};
		await tick(1000);
		expect(driver.started).toHaveLength(2);
	});

	it('starts only what fits from a burst of 50: starting workers count at their expected size until they settle', async () => {
		// 6 GB above the reserve, 250 MB a worker: 24 fit, though the free memory sampled has not dropped yet.
		const {fleet, driver, submit} = await machine({memoryFreeBytes: 7 * GB});
		submit(50);
		expect(driver.started).toHaveLength(24);
		expect(fleet.admissionState()).toMatchObject({roomFor: 0, heldBy: expect.stringContaining('MEMORY_RESERVE')});
	});

	it('learns what a worker needs from settled workers, per mode, and admits by that instead of the estimate', async () => {
		const {fleet, driver, system, submit, tick} = await machine({memoryFreeBytes: 3 * GB});
		submit(2, 'headless');
		expect(fleet.admissionState().expectedWorkerBytes).toEqual({pty: 250 * MB, headless: 125 * MB});
		for (const worker of driver.started) system.memory.set(worker.process.pid, 400 * MB);
		// Measured, but not settled: the estimate stands.
		await tick(2000);
		expect(fleet.admissionState().expectedWorkerBytes.headless).toBe(125 * MB);
		await tick(10_000);
		expect(fleet.admissionState().expectedWorkerBytes).toEqual({pty: 250 * MB, headless: 400 * MB});
		expect(fleet.admissionState().workerBytes).toBe(800 * MB);
		// The machine now reports what the two take: 2.2 GB free, 1.2 GB above the reserve: three more 400 MB workers.
		system.sampleValue = {...system.sampleValue, memoryFreeBytes: 2.2 * GB};
		await tick(1000);
		submit(5, 'headless');
		expect(driver.started).toHaveLength(5);
	});

	it('learns from what a worker needed at most: a worker that shrinks near its end, or ends before it settles, still teaches its peak', async () => {
		const {fleet, driver, system, submit, tick} = await machine({memoryFreeBytes: 8 * GB});
		submit(1);
		const worker = driver.started[0]!;
		system.memory.set(worker.process.pid, 600 * MB);
		await tick(2000);
		system.memory.set(worker.process.pid, 20 * MB);
		await tick(2000);
		worker.finish('done');
		await settle();
		expect(fleet.admissionState().expectedWorkerBytes.pty).toBe(600 * MB);
	});

	it('keeps a ceiling when one is set, and says it is what holds the queue', async () => {
		const {fleet, driver, submit} = await machine({}, {maxWorkers: 2});
		submit(4);
		expect(driver.started).toHaveLength(2);
		expect(fleet.admissionState()).toMatchObject({maxWorkers: 2, heldBy: '2 of CCFLEET_MAX_WORKERS 2 workers run'});
	});

	it('samples the machine only while there is work: an idle fleet keeps no timer', async () => {
		const {driver, clock, submit, tick} = await machine({});
		expect(clock.pendingTimers).toBe(0);
		submit(1);
		await tick(1000);
		driver.started[0]!.finish('done');
		await tick(3000);
		expect(clock.pendingTimers).toBe(0);
	});
});
