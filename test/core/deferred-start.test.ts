import {describe, expect, it} from 'vitest';
import {createFleet} from '../../source/core/fleet.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

/** A fleet whose deferred pumps wait in `deferred` until the test runs them, as the host's next turn would. */
function setup(maxWorkers = 8) {
	const driver = new FakeWorkerDriver();
	const deferred: (() => void)[] = [];
	const fleet = createFleet(
		{
			store: new MemoryTaskStore(),
			output: new MemoryOutputLog(),
			driver,
			clock: new FakeClock(),
			system: new FakeSystemMonitor(),
			ids: new SequentialIds(),
			defer: run => deferred.push(run),
		},
		{staggerMs: 0, maxWorkers},
	);
	/** Runs deferred pumps as the event loop would, including those they defer in turn; says how many turns it took. */
	const runDeferred = () => {
		let turns = 0;
		while (deferred.length > 0) {
			turns++;
			for (const run of deferred.splice(0)) run();
		}
		return turns;
	};
	return {fleet, driver, deferred, runDeferred};
}

describe('a submit answers before its worker starts', () => {
	it('stores the task and returns it queued; the worker starts on the deferred pump', async () => {
		const {fleet, driver, deferred, runDeferred} = setup();
		await fleet.start();
		const task = fleet.submit({prompt: 'do it', cwd: '/work'});
		expect(task.status).toBe('queued');
		expect(fleet.get(task.id).status).toBe('queued');
		expect(driver.started).toHaveLength(0);
		expect(deferred).toHaveLength(1);
		runDeferred();
		expect(driver.started.map(worker => worker.spec.taskId)).toEqual([task.id]);
		expect(fleet.get(task.id).status).toBe('running');
	});

	it('makes one pump of a burst of submits, which starts them all and in priority order', async () => {
		const {fleet, driver, deferred, runDeferred} = setup(2);
		await fleet.start();
		for (let i = 0; i < 20; i++) fleet.submit({prompt: `task ${i}`, cwd: '/work', priority: i === 19 ? 'P0' : 'P1'});
		expect(deferred).toHaveLength(1);
		runDeferred();
		// The last one, P0, goes first: the pump saw the whole burst.
		expect(driver.started.map(worker => worker.spec.prompt)).toEqual(['task 19', 'task 0']);
		expect(deferred).toHaveLength(0);
		fleet.submit({prompt: 'one more', cwd: '/work'});
		expect(deferred).toHaveLength(1);
	});

	it('starts one worker per turn, so a burst never holds the event loop for more than one process start', async () => {
		const {fleet, driver, deferred, runDeferred} = setup(8);
		await fleet.start();
		for (let i = 0; i < 5; i++) fleet.submit({prompt: `task ${i}`, cwd: '/work'});
		deferred.shift()!();
		expect(driver.started).toHaveLength(1);
		expect(deferred).toHaveLength(1);
		expect(runDeferred()).toBe(4);
		expect(driver.started).toHaveLength(5);
	});

	it('starts nothing from a deferred pump once the fleet stopped', async () => {
		const {fleet, driver, runDeferred} = setup();
		await fleet.start();
		fleet.submit({prompt: 'do it', cwd: '/work'});
		await fleet.stop();
		runDeferred();
		expect(driver.started).toHaveLength(0);
	});

	it('with no way to defer, starts the worker within the submit', async () => {
		const driver = new FakeWorkerDriver();
		const ports = {store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds()};
		const fleet = createFleet(ports, {staggerMs: 0, maxWorkers: 1});
		await fleet.start();
		fleet.submit({prompt: 'do it', cwd: '/work'});
		expect(driver.started).toHaveLength(1);
	});
});
