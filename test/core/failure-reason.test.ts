import {describe, expect, it} from 'vitest';
import {createFleet} from '../../source/core/fleet.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = () => new Promise(resolve => setImmediate(resolve));

// A task whose first attempt met a passing API error shows why while it waits to try again; once a new attempt
// runs, and after it completes, that old reason is history (the task's log keeps it), not the task's state.
describe("an earlier attempt's failure reason", () => {
	it('shows while the task waits to try again, and is gone on the next attempt and after completion', async () => {
		const driver = new FakeWorkerDriver();
		const clock = new FakeClock();
		const output = new MemoryOutputLog();
		const fleet = createFleet(
			{store: new MemoryTaskStore(), output, driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
			{staggerMs: 0, retryBaseMs: 1_000},
		);
		await fleet.start();
		const {id} = fleet.submit({prompt: 'work', cwd: '/work'});
		await settle();
		driver.worker(id).exit({exitCode: 1, signal: null, error: 'claude stopped with an API error (overloaded)', transient: true});
		expect(fleet.get(id)).toMatchObject({status: 'queued', failureReason: 'claude stopped with an API error (overloaded)'});

		clock.advance(1_000);
		await settle();
		expect(fleet.get(id).status).toBe('running');
		expect(fleet.get(id).failureReason).toBeUndefined();
		driver.worker(id).finish('done');
		await settle();
		expect(fleet.get(id)).toMatchObject({status: 'completed', attempts: 2, result: 'done'});
		expect(fleet.get(id).failureReason).toBeUndefined();
		expect(output.read(id).text).toContain('claude stopped with an API error (overloaded); trying again');
	});
});
