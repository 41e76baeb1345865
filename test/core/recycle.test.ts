import {describe, expect, it} from 'vitest';
import {createFleet, RESUME_PROMPT} from '../../source/core/fleet.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const MB = 1024 ** 2;
const settle = () => new Promise(resolve => setImmediate(resolve));

async function setup() {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver();
	const system = new FakeSystemMonitor();
	const store = new MemoryTaskStore();
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock, system, ids: new SequentialIds()},
		{staggerMs: 0, memorySampleMs: 1000, workerMaxRssBytes: 400 * MB},
	);
	await fleet.start();
	const sample = async () => {
		clock.advance(1000);
		await settle();
		await settle();
	};
	return {fleet, driver, system, store, sample};
}

describe('memory recycling', () => {
	it('recycles a worker over CCFLEET_WORKER_MAX_RSS while it waits for an answer: it goes on from its conversation, and its task completes', async () => {
		const {fleet, driver, system, store, sample} = await setup();
		const task = fleet.submit({prompt: 'grow', cwd: '/work'});
		const first = driver.worker(task.id);
		driver.resumable.add(task.sessionId);
		system.memory.set(first.process.pid, 500 * MB);
		await sample();
		// Busy and not far over: it is left to work.
		expect(first.stopReasons).toEqual([]);
		first.listener.onState('needs_input', {toolName: 'Bash', toolInput: {command: 'make'}, question: 'Allow Bash(make)?'});
		await settle();
		expect(first.stopReasons).toEqual(['recycled: its memory passed CCFLEET_WORKER_MAX_RSS']);
		const second = driver.worker(task.id);
		expect(second).not.toBe(first);
		expect(second.spec).toMatchObject({resume: true, prompt: RESUME_PROMPT, sessionId: task.sessionId});
		expect(fleet.logs(task.id).text).toContain('[ccfleet] recycled: its memory reached 500 MB, over CCFLEET_WORKER_MAX_RSS 400 MB');
		second.finish('done after recycling');
		await settle();
		expect(store.get(task.id)).toMatchObject({status: 'completed', result: 'done after recycling'});
	});

	it('recycles at once a worker far over the cap, even in the middle of its work', async () => {
		const {fleet, driver, system, sample} = await setup();
		const task = fleet.submit({prompt: 'grow fast', cwd: '/work'});
		system.memory.set(driver.worker(task.id).process.pid, 700 * MB);
		await sample();
		expect(driver.started).toHaveLength(2);
		expect(fleet.get(task.id).status).toBe('running');
	});

	it('leaves a worker under the cap alone', async () => {
		const {fleet, driver, system, sample} = await setup();
		const task = fleet.submit({prompt: 'small', cwd: '/work'});
		system.memory.set(driver.worker(task.id).process.pid, 300 * MB);
		driver.worker(task.id).listener.onState('needs_input', {toolName: 'Bash', toolInput: {}, question: 'Allow?'});
		await sample();
		expect(driver.started).toHaveLength(1);
	});
});
