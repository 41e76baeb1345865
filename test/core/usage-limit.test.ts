import {describe, expect, it} from 'vitest';
import {createFleet} from '../../source/core/fleet.js';
import {LIMIT_RESUME_PROMPT} from '../../source/core/fleet/worker-prompt.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = () => new Promise(resolve => setImmediate(resolve));

async function setup(store = new MemoryTaskStore(), clock = new FakeClock(), ids = new SequentialIds()) {
	const driver = new FakeWorkerDriver();
	const fleet = createFleet({store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids}, {staggerMs: 0, maxWorkers: 6});
	await fleet.start();
	return {fleet, driver, store, clock};
}

const live = (driver: FakeWorkerDriver) => driver.started.filter(worker => !worker.exited);

describe('the usage limit', () => {
	it('parks the workers that meet it, starts nothing until the reset, then resumes them first, gradually, and every task completes', async () => {
		const {fleet, driver, store, clock} = await setup();
		const ids = Array.from({length: 16}, (_, i) => fleet.submit({prompt: `task ${i}`, cwd: '/work'}).id);
		expect(live(driver)).toHaveLength(6);
		for (const worker of driver.started) driver.resumable.add(worker.spec.sessionId);
		const resetsAt = clock.now() + 20_000;
		// Three workers meet the limit (a TUI says so and waits; ccfleet parks it), one finishes meanwhile.
		for (const worker of driver.started.slice(0, 3)) worker.listener.onUsageLimit?.({status: 'rejected', resetsAt, kind: 'five_hour'});
		await settle();
		driver.started[3]!.finish('done before the limit');
		await settle();
		expect(ids.slice(0, 3).map(id => store.get(id)!.status)).toEqual(['parked', 'parked', 'parked']);
		expect(store.get(ids[0]!)).toMatchObject({parkedUntil: resetsAt, attempts: 0});
		expect(fleet.logs(ids[0]!).text).toContain(`[ccfleet] parked at the usage limit until ${new Date(resetsAt).toISOString()}`);
		// Nothing new starts before the reset, though slots are free.
		expect(driver.started).toHaveLength(6);
		expect(fleet.usageLimit()).toEqual({state: 'limited', kind: 'five_hour', resetsAt});
		expect(fleet.admissionState().heldBy).toBe(`the 5-hour usage limit is reached; nothing starts until it resets at ${new Date(resetsAt).toISOString()}`);
		clock.advance(19_999);
		expect(driver.started).toHaveLength(6);

		// At the reset: two start, the parked ones first, going on from their conversation.
		clock.advance(1);
		await settle();
		expect(driver.started).toHaveLength(8);
		expect(driver.started.slice(6).map(worker => worker.spec.taskId)).toEqual(ids.slice(0, 2));
		expect(driver.started[6]!.spec).toMatchObject({resume: true, prompt: LIMIT_RESUME_PROMPT});
		expect(fleet.usageLimit()).toMatchObject({state: 'ramping'});
		// Ten seconds on, two more (four since the reset), the last parked one first; still under the ceiling of six.
		clock.advance(9_999);
		expect(driver.started).toHaveLength(8);
		clock.advance(1);
		expect(driver.started.slice(6).map(worker => worker.spec.taskId)).toEqual([...ids.slice(0, 3), ids[6]]);
		const finishAll = async () => {
			for (const worker of live(driver)) worker.finish('done');
			await settle();
		};
		for (let round = 0; round < 12 && ids.some(id => store.get(id)!.status !== 'completed'); round++) {
			await finishAll();
			clock.advance(10_000);
			await settle();
		}
		expect(ids.map(id => store.get(id)!.status)).toEqual(ids.map(() => 'completed'));
		clock.advance(60_000);
		expect(fleet.usageLimit()).toBeUndefined();
	});

	it('parks a headless worker that exits at the limit until its reset, not failing or retrying it', async () => {
		const {fleet, driver, store, clock} = await setup();
		const task = fleet.submit({prompt: 'p', cwd: '/work', mode: 'headless'});
		const resetsAt = clock.now() + 60_000;
		driver.worker(task.id).exit({exitCode: 1, signal: null, error: 'rate_limit', usageLimit: {status: 'rejected', resetsAt, kind: 'seven_day'}});
		await settle();
		expect(store.get(task.id)).toMatchObject({status: 'parked', parkedUntil: resetsAt});
		expect(fleet.usageLimit()).toEqual({state: 'limited', kind: 'seven_day', resetsAt});
		clock.advance(60_000);
		await settle();
		expect(store.get(task.id)!.status).toBe('running');
	});

	it('without a reset time, pauses and doubles the pause with each rejection in a row', async () => {
		const {fleet, driver, clock} = await setup();
		const first = fleet.submit({prompt: 'a', cwd: '/work'});
		fleet.submit({prompt: 'b', cwd: '/work'});
		driver.worker(first.id).listener.onUsageLimit?.({status: 'rejected'});
		await settle();
		expect(fleet.usageLimit()).toEqual({state: 'limited', resetsAt: clock.now() + 60_000});
		clock.advance(60_000);
		await settle();
		driver.started.at(-1)!.listener.onUsageLimit?.({status: 'rejected'});
		await settle();
		expect(fleet.usageLimit()).toMatchObject({resetsAt: clock.now() + 120_000});
	});

	it('spaces out starts while the API warns that the limit is near', async () => {
		const {fleet, driver, clock} = await setup();
		const first = fleet.submit({prompt: 'a', cwd: '/work'});
		driver.worker(first.id).listener.onUsageLimit?.({status: 'allowed_warning', kind: 'five_hour'});
		clock.advance(5000);
		fleet.submit({prompt: 'b', cwd: '/work'});
		fleet.submit({prompt: 'c', cwd: '/work'});
		expect(driver.started).toHaveLength(2);
		expect(fleet.usageLimit()).toEqual({state: 'warning', kind: 'five_hour'});
		clock.advance(5000);
		expect(driver.started).toHaveLength(3);
	});

	it('keeps a parked task parked across a restart, and wakes it at the reset', async () => {
		const store = new MemoryTaskStore();
		const clock = new FakeClock();
		const first = await setup(store, clock);
		const task = first.fleet.submit({prompt: 'p', cwd: '/work'});
		const resetsAt = clock.now() + 30_000;
		first.driver.worker(task.id).listener.onUsageLimit?.({status: 'rejected', resetsAt});
		await settle();
		await first.fleet.stop();
		expect(store.get(task.id)!.status).toBe('parked');
		const second = await setup(
			store,
			clock,
			new (class extends SequentialIds {
				override taskId() {
					return `later-${super.taskId()}`;
				}
			})(),
		);
		expect(second.driver.started).toHaveLength(0);
		clock.advance(30_000);
		await settle();
		expect(second.driver.started.map(worker => worker.spec.taskId)).toEqual([task.id]);
	});

	it('holds new starts while claude itself waits to retry a request the API turned away (API key)', async () => {
		const {fleet, driver, clock} = await setup();
		const first = fleet.submit({prompt: 'a', cwd: '/work'});
		driver.worker(first.id).listener.onRetrying?.({delayMs: 30_000, error: 'rate_limit'});
		fleet.submit({prompt: 'b', cwd: '/work'});
		expect(driver.started).toHaveLength(1);
		expect(fleet.admissionState()).toMatchObject({heldByPolicy: 'backoff', heldBy: 'claude retries a request the API turned away (rate_limit) in 30 s'});
		clock.advance(30_000);
		expect(driver.started).toHaveLength(2);
	});
});
