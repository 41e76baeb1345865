import {describe, expect, it} from 'vitest';
import {createTask, type Task} from '../../source/core/domain/task.js';
import {EventBus} from '../../source/core/events.js';
import {createFleet} from '../../source/core/fleet.js';
import {TaskLedger} from '../../source/core/fleet/task-ledger.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = () => new Promise(resolve => setImmediate(resolve));

/** A store whose writes fail while `refusing` is set, as SQLite's do while another process holds the lock. */
class RefusingStore extends MemoryTaskStore {
	refusing: Error | undefined;
	updateCalls = 0;

	override update(task: Task): void {
		this.updateCalls++;
		if (this.refusing) throw this.refusing;
		super.update(task);
	}
}

function setup() {
	const store = new RefusingStore();
	const driver = new FakeWorkerDriver();
	const clock = new FakeClock();
	const fleet = createFleet({store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()}, {staggerMs: 0});
	const errors: string[] = [];
	fleet.on('fleet:error', ({message}) => errors.push(message));
	return {store, driver, clock, fleet, errors};
}

const locked = () => new Error('Could not write to the ccfleet database at /x/ccfleet.db: another process holds its lock (database is locked).');

describe('task changes the store refuses', () => {
	it('hold in memory and in every view, are reported once, and are written by a retry on a timer once the store takes writes', async () => {
		const {store, driver, clock, fleet, errors} = setup();
		await fleet.start();
		const {id} = fleet.submit({prompt: 'work', cwd: '/work'});
		const other = fleet.submit({prompt: 'other', cwd: '/work', dependsOn: [id]}).id;
		await settle();
		expect(fleet.get(id).status).toBe('running');

		store.refusing = locked();
		const callsBefore = store.updateCalls;
		driver.worker(id).finish('the answer');
		await settle();
		expect(fleet.get(id)).toMatchObject({status: 'completed', result: 'the answer'});
		expect(fleet.list({statuses: ['completed']}).map(task => task.id)).toEqual([id]);
		expect(fleet.list({statuses: ['running']}).map(task => task.id)).toEqual([other]);
		expect(fleet.counts()).toMatchObject({completed: 1, running: 1, queued: 0});
		expect(store.get(id)!.status).toBe('running');
		expect(errors).toEqual([expect.stringMatching(new RegExp(`^Could not save task ${id}: .*another process holds its lock.*keeps the change`))]);
		// Its dependent went on from the end memory knows; every later change is queued behind the refused write, not tried.
		expect(fleet.get(other).status).toBe('running');
		expect(store.updateCalls).toBe(callsBefore + 1);

		clock.advance(100);
		expect(store.updateCalls).toBe(callsBefore + 2);
		clock.advance(200);
		expect(store.get(id)!.status).toBe('running');
		expect(errors).toHaveLength(1);

		store.refusing = undefined;
		clock.advance(2_000);
		expect(store.get(id)).toMatchObject({status: 'completed', result: 'the answer'});
		expect(store.get(other)!.status).toBe('running');
		expect(clock.pendingTimers).toBeLessThanOrEqual(1);
		driver.worker(other).finish('done too');
		await settle();
		expect(store.get(other)!.status).toBe('completed');
	});

	it('gets a last few tries when the fleet stops, and any the store still refuses is reported by task', async () => {
		const {store, driver, fleet, errors} = setup();
		await fleet.start();
		const {id} = fleet.submit({prompt: 'work', cwd: '/work'});
		await settle();
		store.refusing = new Error('Could not write to the ccfleet database at /x/ccfleet.db: the disk is full. Free disk space in /x.');
		driver.worker(id).finish('the answer');
		await settle();
		await fleet.stop();
		expect(errors.at(-1)).toMatch(new RegExp(`stopped with 1 task change\\(s\\) the database never took \\(.*the disk is full.*\\): ${id} \\(completed\\)`));
	});

	it('a change to a task the store does not hold is refused at once, and nothing changes', () => {
		const store = new MemoryTaskStore();
		const reports: string[] = [];
		const ledger = new TaskLedger(store, new EventBus(), new FakeClock(), message => reports.push(message));
		const task = createTask({prompt: 'p', cwd: '/w'}, {id: 'ghost', sessionId: 's'}, 0, {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 1_000});
		expect(ledger.save({...task, status: 'running'}, 'queued')).toBe(false);
		expect(ledger.find('ghost')).toBeUndefined();
		expect(reports).toEqual([expect.stringContaining('No task with id "ghost"')]);
	});
});

describe('a change the store refuses for a reason of its own', () => {
	it('does not hold up the writes of other tasks', async () => {
		const store = new (class extends RefusingStore {
			poisoned = '';
			override update(task: Task): void {
				if (task.id === this.poisoned) throw new Error('CHECK constraint failed');
				super.update(task);
			}
		})();
		const driver = new FakeWorkerDriver();
		const clock = new FakeClock();
		const fleet = createFleet({store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()}, {staggerMs: 0});
		await fleet.start();
		const first = fleet.submit({prompt: 'one', cwd: '/work'}).id;
		const second = fleet.submit({prompt: 'two', cwd: '/work'}).id;
		await settle();
		store.poisoned = first;
		driver.worker(first).finish('one done');
		driver.worker(second).finish('two done');
		await settle();
		clock.advance(5_000);
		expect(store.get(second)!.status).toBe('completed');
		expect(store.get(first)!.status).toBe('running');
		expect(fleet.get(first).status).toBe('completed');
	});
});
