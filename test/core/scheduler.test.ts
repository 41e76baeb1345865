import {describe, expect, it} from 'vitest';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {formatInZone, parseIsoTime, ScheduleNotFoundError, type MissedRunPolicy, type NewScheduleInput} from '../../source/core/domain/schedule.js';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {createScheduler, type Scheduler, type SchedulerOptions} from '../../source/core/scheduler.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const cwd = '/work';

class ScheduleIds {
	#n = 0;
	scheduleId(): string {
		return `s${++this.#n}`;
	}
}

/** The real Fleet on fakes, and a scheduler over it; `restart()` makes a new scheduler on the same store, as a new core would. */
async function setup(start: number = Date.UTC(2026, 10, 23, 9, 30), options: Partial<SchedulerOptions> = {}, store = new MemoryScheduleStore()) {
	const clock = new FakeClock(start);
	const driver = new FakeWorkerDriver();
	const tasks = new MemoryTaskStore();
	const fleet: Fleet = createFleet(
		{store: tasks, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds()},
		{staggerMs: 0, maxWorkers: 8},
	);
	await fleet.start();
	const ids = new ScheduleIds();
	// The fleet keeps timers of its own on the same clock (task timeouts, samplers); the scheduler's are counted apart.
	const schedulerTimers = new Set<object>();
	const schedulerClock = {
		now: () => clock.now(),
		setTimeout(fn: () => void, ms: number) {
			const timer = {};
			schedulerTimers.add(timer);
			const cancel = clock.setTimeout(() => {
				schedulerTimers.delete(timer);
				fn();
			}, ms);
			return () => {
				schedulerTimers.delete(timer);
				cancel();
			};
		},
	};
	const make = () => createScheduler({store, clock: schedulerClock, ids, fleet}, {defaultTimezone: 'UTC', ...options});
	let scheduler: Scheduler = make();
	scheduler.start();
	const env = {
		clock,
		/** Timers the scheduler holds now. */
		get schedulerTimers() {
			return schedulerTimers.size;
		},
		driver,
		fleet,
		store,
		get scheduler() {
			return scheduler;
		},
		/** Stops this scheduler, lets `downMs` pass with none running, and starts a new one on the same store. */
		restart(downMs = 0) {
			scheduler.stop();
			clock.advance(downMs);
			scheduler = make();
			scheduler.start();
			return scheduler;
		},
		/** Finishes every worker still running, as if claude answered at once. */
		finishAll(result = 'done') {
			for (const worker of driver.started) if (!worker.exited) worker.finish(result);
		},
		/** Moves time in steps, finishing what started in each, so that no run overlaps the next. */
		advanceFinishing(ms: number, step = 15 * MINUTE) {
			for (let left = ms; left > 0; left -= step) {
				clock.advance(Math.min(step, left));
				env.finishAll();
			}
		},
		/** When each task was created, as ISO strings. */
		taskTimes() {
			return fleet.list().map(task => new Date(task.createdAt).toISOString());
		},
		outcomes(id: string) {
			return scheduler.runs(id).map(run => run.outcome);
		},
	};
	return env;
}

const hourly = (extra: Partial<NewScheduleInput> = {}): NewScheduleInput => ({task: {prompt: 'hourly check', cwd}, cron: '0 * * * *', timezone: 'UTC', ...extra});

describe('Scheduler: cron schedules', () => {
	it('fires at each due time with the task template, records the run and its outcome, and arms the next', async () => {
		const {scheduler, clock, driver, fleet} = await setup();
		const schedule = scheduler.create(hourly({task: {prompt: 'check the build', cwd, priority: 'P0', mode: 'headless', model: 'sonnet', timeoutMs: 5 * MINUTE}}));
		expect(schedule).toMatchObject({id: 's1', kind: 'cron', status: 'active', timezone: 'UTC', missedRunPolicy: 'skip', nextRunAt: Date.UTC(2026, 10, 23, 10)});
		clock.advance(30 * MINUTE - 1);
		expect(driver.started).toHaveLength(0);
		clock.advance(1);
		expect(fleet.get('t1')).toMatchObject({
			prompt: 'check the build',
			cwd,
			priority: 'P0',
			mode: 'headless',
			model: 'sonnet',
			timeoutMs: 5 * MINUTE,
			createdAt: Date.UTC(2026, 10, 23, 10),
		});
		expect(scheduler.runs('s1')).toMatchObject([
			{scheduleId: 's1', scheduledFor: Date.UTC(2026, 10, 23, 10), firedAt: Date.UTC(2026, 10, 23, 10), taskId: 't1', outcome: 'started'},
		]);
		expect(scheduler.get('s1')).toMatchObject({lastRunAt: Date.UTC(2026, 10, 23, 10), nextRunAt: Date.UTC(2026, 10, 23, 11)});
		clock.advance(MINUTE);
		driver.worker('t1').finish('all green');
		expect(scheduler.runs('s1')[0]).toMatchObject({outcome: 'completed', endedAt: Date.UTC(2026, 10, 23, 10, 1)});
		clock.advance(HOUR);
		expect(scheduler.runs('s1').map(run => [run.taskId, run.outcome])).toEqual([
			['t1', 'completed'],
			['t2', 'started'],
		]);
		driver.worker('t2').exit({exitCode: 1, signal: null});
		expect(scheduler.runs('s1')[1]).toMatchObject({outcome: 'failed', detail: 'claude exited with code 1 before it finished.'});
	});

	it('keeps one timer for the earliest due time across many schedules', async () => {
		const env = await setup();
		const {scheduler, clock, driver} = env;
		scheduler.create(hourly({cron: '15 * * * *'}));
		scheduler.create(hourly({cron: '45 * * * *'}));
		scheduler.create(hourly({cron: '0 0 1 1 *'}));
		expect(env.schedulerTimers).toBe(1);
		clock.advance(15 * MINUTE);
		expect(driver.started.map(worker => worker.spec.taskId)).toEqual(['t1']);
		driver.worker('t1').finish('ok');
		expect(env.schedulerTimers).toBe(1);
		clock.advance(30 * MINUTE);
		expect(driver.started).toHaveLength(2);
	});

	it('records a failed run when the task fails inside submit (its worker cannot start)', async () => {
		const {scheduler, clock, driver} = await setup();
		scheduler.create(hourly());
		driver.failStartWith = new Error('claude not found');
		clock.advance(30 * MINUTE);
		expect(scheduler.runs('s1')).toMatchObject([{taskId: 't1', outcome: 'failed', detail: 'The worker could not start: claude not found'}]);
	});

	it('records not-started with the reason when the fleet refuses the task, and keeps going', async () => {
		const {scheduler, clock, fleet} = await setup();
		scheduler.create(hourly());
		await fleet.stop();
		clock.advance(30 * MINUTE);
		expect(scheduler.runs('s1')).toMatchObject([{outcome: 'not-started', detail: expect.stringContaining('shutting down')}]);
		expect(scheduler.get('s1')).toMatchObject({status: 'active', nextRunAt: Date.UTC(2026, 10, 23, 11)});
	});
});

describe('Scheduler: errors', () => {
	it('tries a schedule whose write failed again a minute later, not in a hot loop', async () => {
		class FlakyStore extends MemoryScheduleStore {
			isFailing = false;
			override addRun(...args: Parameters<MemoryScheduleStore['addRun']>) {
				if (this.isFailing) throw new Error('disk I/O error');
				return super.addRun(...args);
			}
		}
		const store = new FlakyStore();
		const {scheduler, clock} = await setup(undefined, {}, store);
		scheduler.create(hourly({cron: '30 10 * * *'}));
		store.isFailing = true;
		clock.advance(HOUR);
		expect(scheduler.runs('s1')).toEqual([]);
		store.isFailing = false;
		clock.advance(MINUTE - 1);
		expect(scheduler.runs('s1')).toEqual([]);
		clock.advance(1);
		expect(scheduler.runs('s1')).toMatchObject([{outcome: 'started', scheduledFor: Date.UTC(2026, 10, 23, 10, 30), firedAt: Date.UTC(2026, 10, 23, 10, 31)}]);
	});
});

describe('Scheduler: time zones and DST', () => {
	it('runs "30 2 * * *" in America/New_York once a day across the spring change, an hour late on the day 02:30 does not exist', async () => {
		const env = await setup(Date.UTC(2026, 2, 6, 12));
		env.scheduler.create({task: {prompt: 'nightly', cwd}, cron: '30 2 * * *', timezone: 'America/New_York'});
		env.advanceFinishing(4 * DAY);
		expect(env.taskTimes()).toEqual([
			'2026-03-07T07:30:00.000Z', // 02:30 EST
			'2026-03-08T07:30:00.000Z', // 03:30 EDT: the clocks jumped from 02:00 to 03:00
			'2026-03-09T06:30:00.000Z', // 02:30 EDT
			'2026-03-10T06:30:00.000Z',
		]);
		expect(env.outcomes('s1')).toEqual(['completed', 'completed', 'completed', 'completed']);
	});

	it('keeps "0 9 * * *" at 09:00 local across both changes', async () => {
		const spring = await setup(Date.UTC(2026, 2, 6, 12));
		spring.scheduler.create({task: {prompt: 'standup notes', cwd}, cron: '0 9 * * *', timezone: 'America/New_York'});
		spring.advanceFinishing(4 * DAY);
		expect(spring.taskTimes()).toEqual(['2026-03-06T14:00:00.000Z', '2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z']);

		const autumn = await setup(Date.UTC(2026, 9, 30, 15));
		autumn.scheduler.create({task: {prompt: 'standup notes', cwd}, cron: '0 9 * * *', timezone: 'America/New_York'});
		autumn.advanceFinishing(4 * DAY);
		expect(autumn.taskTimes()).toEqual(['2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z', '2026-11-02T14:00:00.000Z', '2026-11-03T14:00:00.000Z']);
		for (const time of [...spring.taskTimes(), ...autumn.taskTimes()]) {
			expect(formatInZone(Date.parse(time), 'America/New_York')).toMatch(/ 09:00 E[SD]T$/);
		}
	});

	it('runs "30 1 * * *" once, not twice, on the night 01:30 happens twice', async () => {
		const env = await setup(Date.UTC(2026, 9, 31, 12));
		env.scheduler.create({task: {prompt: 'nightly', cwd}, cron: '30 1 * * *', timezone: 'America/New_York'});
		env.advanceFinishing(2 * DAY);
		expect(env.taskTimes()).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
	});

	it('reads an `at` without an offset as wall-clock time in the schedule zone, and one with an offset as that instant', async () => {
		const {scheduler} = await setup(Date.UTC(2026, 2, 1));
		expect(scheduler.create({task: {prompt: 'x', cwd}, at: '2026-03-10T09:00', timezone: 'America/New_York'}).runAt).toBe(Date.UTC(2026, 2, 10, 13));
		expect(scheduler.create({task: {prompt: 'x', cwd}, at: '2026-03-05T09:00', timezone: 'America/New_York'}).runAt).toBe(Date.UTC(2026, 2, 5, 14));
		expect(scheduler.create({task: {prompt: 'x', cwd}, at: '2026-03-10T09:00:00Z', timezone: 'America/New_York'}).runAt).toBe(Date.UTC(2026, 2, 10, 9));
		expect(scheduler.create({task: {prompt: 'x', cwd}, at: '2026-03-10T09:00+05:30'}).runAt).toBe(Date.UTC(2026, 2, 10, 3, 30));
		// 02:30 does not exist on 8 March in New York; 01:30 on 1 November happens twice (the first is meant).
		expect(parseIsoTime('2026-03-08T02:30', 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 7, 30));
		expect(parseIsoTime('2026-11-01T01:30', 'America/New_York')).toBe(Date.UTC(2026, 10, 1, 5, 30));
	});

	it('stores the canonical name of a zone and defaults to the configured one', async () => {
		const {scheduler} = await setup(undefined, {defaultTimezone: 'Europe/Berlin'});
		expect(scheduler.create(hourly({timezone: 'us/eastern'})).timezone).toBe('America/New_York');
		const {timezone: _unused, ...noZone} = hourly();
		expect(scheduler.create(noZone).timezone).toBe('Europe/Berlin');
	});
});

describe('Scheduler: missed runs after downtime', () => {
	/** An hourly schedule that ran at 10:00; the core is down from 10:30 to 13:30 (11:00, 12:00 and 13:00 are missed). */
	async function threeHoursDown(policy: MissedRunPolicy) {
		const env = await setup();
		env.scheduler.create(hourly({missedRunPolicy: policy}));
		env.advanceFinishing(HOUR);
		expect(env.outcomes('s1')).toEqual(['completed']);
		env.restart(3 * HOUR);
		return env;
	}

	it('skip: records one missed-skipped entry for the gap, starts nothing, and runs again at the next hour', async () => {
		const env = await threeHoursDown('skip');
		const runs = env.scheduler.runs('s1');
		expect(runs.map(run => run.outcome)).toEqual(['completed', 'missed-skipped']);
		expect(runs[1]).toMatchObject({scheduledFor: Date.UTC(2026, 10, 23, 11), firedAt: Date.UTC(2026, 10, 23, 13, 30), missedCount: 3});
		expect(runs[1]!.detail).toContain('Skipped 3 runs due from 2026-11-23 11:00 UTC to 2026-11-23 13:00 UTC');
		expect(env.driver.started).toHaveLength(1);
		expect(env.scheduler.get('s1').nextRunAt).toBe(Date.UTC(2026, 10, 23, 14));
		env.advanceFinishing(30 * MINUTE);
		expect(env.outcomes('s1')).toEqual(['completed', 'missed-skipped', 'completed']);
	});

	it('catchup: runs once now for the whole gap (not once per missed time), then at the next hour', async () => {
		const env = await threeHoursDown('catchup');
		const runs = env.scheduler.runs('s1');
		expect(runs.map(run => run.outcome)).toEqual(['completed', 'started']);
		expect(runs[1]).toMatchObject({taskId: 't2', scheduledFor: Date.UTC(2026, 10, 23, 13), firedAt: Date.UTC(2026, 10, 23, 13, 30), missedCount: 3});
		expect(runs[1]!.detail).toContain('Catches up 3 runs');
		expect(env.fleet.get('t2').createdAt).toBe(Date.UTC(2026, 10, 23, 13, 30));
		expect(env.driver.started).toHaveLength(2);
		env.advanceFinishing(30 * MINUTE);
		expect(env.outcomes('s1')).toEqual(['completed', 'completed', 'completed']);
		expect(env.driver.started).toHaveLength(3);
	});

	it('fail: records each missed time as missed-failed, starts nothing, and runs again at the next hour', async () => {
		const env = await threeHoursDown('fail');
		const runs = env.scheduler.runs('s1');
		expect(runs.map(run => [run.outcome, new Date(run.scheduledFor).toISOString()])).toEqual([
			['completed', '2026-11-23T10:00:00.000Z'],
			['missed-failed', '2026-11-23T11:00:00.000Z'],
			['missed-failed', '2026-11-23T12:00:00.000Z'],
			['missed-failed', '2026-11-23T13:00:00.000Z'],
		]);
		expect(env.driver.started).toHaveLength(1);
		expect(env.scheduler.get('s1').nextRunAt).toBe(Date.UTC(2026, 10, 23, 14));
	});

	it('fail: writes at most the configured number of entries for a long gap and says how many more there were', async () => {
		const env = await setup(undefined, {maxMissedRunsRecorded: 5});
		env.scheduler.create(hourly({cron: '*/10 * * * *', missedRunPolicy: 'fail'}));
		// 09:40 to 12:30: 18 missed times.
		env.restart(3 * HOUR + 5 * MINUTE);
		const runs = env.scheduler.runs('s1');
		expect(runs).toHaveLength(5);
		expect(runs.at(-1)!.detail).toContain('13 later missed times are not listed');
	});

	it('a due time only a little late at start (within the grace) runs as usual, not as missed', async () => {
		const env = await setup();
		env.scheduler.create(hourly({missedRunPolicy: 'fail'}));
		env.restart(30 * MINUTE + 20_000);
		expect(env.scheduler.runs('s1')).toMatchObject([{outcome: 'started', scheduledFor: Date.UTC(2026, 10, 23, 10), firedAt: Date.UTC(2026, 10, 23, 10, 0, 20)}]);
	});

	it('applies the policy to a one-time schedule whose time passed while down', async () => {
		for (const [policy, outcomes, tasks] of [
			['skip', ['missed-skipped'], 0],
			['fail', ['missed-failed'], 0],
			['catchup', ['started'], 1],
		] as const) {
			const env = await setup();
			env.scheduler.create({task: {prompt: 'once', cwd}, at: '2026-11-23T11:00:00Z', missedRunPolicy: policy});
			env.restart(3 * HOUR);
			expect(env.outcomes('s1'), policy).toEqual(outcomes);
			expect(env.driver.started, policy).toHaveLength(tasks);
			expect(env.scheduler.get('s1'), policy).toMatchObject({status: 'completed'});
			expect(env.scheduler.get('s1').nextRunAt, policy).toBeUndefined();
		}
	});

	it('settles at start a run whose task ended while no scheduler watched', async () => {
		const env = await setup();
		env.scheduler.create(hourly());
		env.clock.advance(30 * MINUTE);
		env.scheduler.stop();
		env.driver.worker('t1').finish('done while away');
		expect(env.outcomes('s1')).toEqual(['started']);
		env.restart();
		expect(env.outcomes('s1')).toEqual(['completed']);
	});

	it('applies the policy when its timer fires hours late too, as after the machine slept', async () => {
		const {fleet, store} = await setup();
		let now = Date.UTC(2026, 10, 23, 9, 30);
		let timer: (() => void) | undefined;
		// FakeClock runs a timer at its due time; a suspended machine runs it when it wakes.
		const sleepyClock = {
			now: () => now,
			setTimeout(fn: () => void) {
				timer = fn;
				return () => {
					timer = undefined;
				};
			},
		};
		const scheduler = createScheduler({store, clock: sleepyClock, ids: new ScheduleIds(), fleet}, {defaultTimezone: 'UTC'});
		scheduler.start();
		scheduler.create(hourly({missedRunPolicy: 'skip'}));
		now = Date.UTC(2026, 10, 23, 11, 40);
		timer!();
		expect(scheduler.runs('s1')).toMatchObject([{outcome: 'missed-skipped', missedCount: 2, scheduledFor: Date.UTC(2026, 10, 23, 10)}]);
		expect(scheduler.get('s1').nextRunAt).toBe(Date.UTC(2026, 10, 23, 12));
		expect(timer).toBeDefined();
	});
});

describe('Scheduler: overlap prevention', () => {
	it('does not start a run while the task of the previous one still runs, and records why', async () => {
		const {scheduler, clock, driver} = await setup(Date.UTC(2026, 10, 23, 9, 1));
		scheduler.create(hourly({cron: '*/5 * * * *', task: {prompt: 'slow job', cwd, timeoutMs: 2 * HOUR}}));
		clock.advance(4 * MINUTE);
		expect(driver.started).toHaveLength(1);
		clock.advance(5 * MINUTE);
		clock.advance(5 * MINUTE);
		expect(driver.started).toHaveLength(1);
		const runs = scheduler.runs('s1');
		expect(runs.map(run => run.outcome)).toEqual(['started', 'skipped-overlap', 'skipped-overlap']);
		expect(runs[1]!.detail).toBe('Not started: task t1 of the run due 2026-11-23 09:05 UTC is still running, and runs of one schedule never overlap.');
		expect(runs[1]!.taskId).toBeUndefined();
		driver.worker('t1').finish('finally');
		clock.advance(5 * MINUTE);
		expect(scheduler.runs('s1').map(run => run.outcome)).toEqual(['completed', 'skipped-overlap', 'skipped-overlap', 'started']);
		expect(driver.started).toHaveLength(2);
	});

	it('holds across a restart: a catch-up is skipped while the task from before the restart still runs', async () => {
		const env = await setup();
		env.scheduler.create(hourly({missedRunPolicy: 'catchup', task: {prompt: 'slow', cwd, timeoutMs: 10 * HOUR}}));
		env.clock.advance(30 * MINUTE);
		env.restart(3 * HOUR);
		expect(env.outcomes('s1')).toEqual(['started', 'skipped-overlap']);
		expect(env.driver.started).toHaveLength(1);
	});
});

describe('Scheduler: pause, resume, cancel', () => {
	it('a paused schedule does not fire; resuming continues from now without running what was missed meanwhile', async () => {
		const {scheduler, clock, driver} = await setup();
		scheduler.create(hourly());
		const paused = scheduler.pause('s1');
		expect(paused.status).toBe('paused');
		expect(paused.nextRunAt).toBeUndefined();
		expect(scheduler.pause('s1').status).toBe('paused');
		clock.advance(3 * HOUR);
		expect(driver.started).toHaveLength(0);
		const resumed = scheduler.resume('s1');
		expect(resumed).toMatchObject({status: 'active', nextRunAt: Date.UTC(2026, 10, 23, 13)});
		expect(scheduler.runs('s1')).toEqual([]);
		expect(scheduler.resume('s1').status).toBe('active');
		clock.advance(30 * MINUTE);
		expect(scheduler.runs('s1')).toMatchObject([{outcome: 'started', scheduledFor: Date.UTC(2026, 10, 23, 13)}]);
	});

	it('stays paused across a restart, with nothing recorded as missed', async () => {
		const env = await setup();
		env.scheduler.create(hourly({missedRunPolicy: 'fail'}));
		env.scheduler.pause('s1');
		env.restart(5 * HOUR);
		expect(env.scheduler.get('s1').status).toBe('paused');
		expect(env.scheduler.runs('s1')).toEqual([]);
	});

	it('a one-time schedule resumed after its time runs at once', async () => {
		const {scheduler, clock, driver} = await setup();
		scheduler.create({task: {prompt: 'once', cwd}, at: '2026-11-23T10:00:00Z'});
		scheduler.pause('s1');
		clock.advance(HOUR);
		expect(driver.started).toHaveLength(0);
		scheduler.resume('s1');
		expect(driver.started).toHaveLength(1);
		expect(scheduler.get('s1').status).toBe('completed');
	});

	it('a cancelled schedule never fires again, keeps the reason, and its running task goes on', async () => {
		const env = await setup();
		const {scheduler, clock, fleet} = env;
		scheduler.create(hourly());
		clock.advance(30 * MINUTE);
		const cancelled = scheduler.cancel('s1', 'not needed any more');
		expect(cancelled).toMatchObject({status: 'cancelled', endReason: 'not needed any more'});
		expect(cancelled.nextRunAt).toBeUndefined();
		expect(env.schedulerTimers).toBe(0);
		clock.advance(5 * HOUR);
		expect(fleet.list()).toHaveLength(1);
		expect(fleet.get('t1').status).toBe('failed'); // timed out on its own, the schedule did not stop it
		expect(() => scheduler.cancel('s1')).toThrow(/already ended \(cancelled\)/);
		expect(() => scheduler.pause('s1')).toThrow(/only an active schedule can be paused/);
		expect(() => scheduler.resume('s1')).toThrow(/only a paused schedule can be resumed/);
	});

	it('names an unknown schedule and how to find the right one', async () => {
		const {scheduler} = await setup();
		for (const action of [() => scheduler.get('nope'), () => scheduler.pause('nope'), () => scheduler.cancel('nope'), () => scheduler.runs('nope')]) {
			expect(action).toThrow(ScheduleNotFoundError);
			expect(action).toThrow(/No schedule with id "nope".*ccfleet schedule list/);
		}
	});
});

describe('Scheduler: one-time schedules', () => {
	it('fires once at its time, completes, and records the task outcome', async () => {
		const env = await setup();
		const {scheduler, clock, driver} = env;
		scheduler.create({task: {prompt: 'release notes', cwd}, at: '2026-11-23T09:45:00Z'});
		clock.advance(15 * MINUTE - 1);
		expect(driver.started).toHaveLength(0);
		clock.advance(1);
		expect(scheduler.get('s1')).toMatchObject({status: 'completed', lastRunAt: Date.UTC(2026, 10, 23, 9, 45)});
		expect(scheduler.get('s1').nextRunAt).toBeUndefined();
		driver.worker('t1').finish('written');
		expect(scheduler.runs('s1')).toMatchObject([{taskId: 't1', outcome: 'completed'}]);
		clock.advance(DAY);
		expect(driver.started).toHaveLength(1);
		expect(env.schedulerTimers).toBe(0);
	});
});

describe('Scheduler: invalid input', () => {
	const cases: [string, Partial<NewScheduleInput>, RegExp][] = [
		['six fields', {cron: '0 0 9 * * *'}, /cron "0 0 9 \* \* \*" has 6 fields; ccfleet takes exactly five.*minute \(0-59\)/],
		['an alias', {cron: '@daily'}, /has 1 field; ccfleet takes exactly five \(no seconds, no @aliases\)/],
		['a value out of range', {cron: '61 * * * *'}, /cron "61 \* \* \* \*" is not valid: .*61.*minute \(0-59\)/],
		['a day that never comes', {cron: '0 0 30 2 *'}, /cron "0 0 30 2 \*" is not valid/],
		['an unknown zone', {timezone: 'Mars/Olympus'}, /timezone "Mars\/Olympus" is not an IANA time zone.*"Europe\/Berlin"/],
		['both cron and at', {at: '2027-01-01T00:00:00Z'}, /exactly one of cron .* or at .*got both/],
		['neither cron nor at', {cron: undefined}, /exactly one of cron .* or at .*got neither/],
		['a time in the past', {cron: undefined, at: '2026-11-23T09:00:00Z'}, /at "2026-11-23T09:00:00Z" is 2026-11-23T09:00:00.000Z, which is not in the future/],
		['a time that is not ISO 8601', {cron: undefined, at: 'tomorrow at 9'}, /at "tomorrow at 9" is not an ISO 8601 date and time; use e.g. "2026-03-08T09:00"/],
		['a date that does not exist', {cron: undefined, at: '2027-02-30T09:00'}, /not an ISO 8601 date and time/],
		['an unknown missed-run policy', {missedRunPolicy: 'sometimes' as never}, /missedRunPolicy "sometimes" is not one of skip, catchup, fail/],
		['an empty prompt', {task: {prompt: '  ', cwd}}, /prompt is empty/],
		['a relative directory', {task: {prompt: 'x', cwd: 'work'}}, /cwd\) must be an absolute path, got "work"/],
		['an unknown priority', {task: {prompt: 'x', cwd, priority: 'P9' as never}}, /Unknown priority "P9"; use one of P0, P1, P2/],
	];
	for (const [name, change, message] of cases) {
		it(`refuses ${name}, saying what is accepted`, async () => {
			const {scheduler, store} = await setup();
			const input = {...hourly(), ...change};
			expect(() => scheduler.create(input)).toThrow(InvalidInputError);
			expect(() => scheduler.create(input)).toThrow(message);
			expect(store.list()).toEqual([]);
		});
	}
});

describe('Scheduler: pipelines', () => {
	it('runs the first step now and each next one the delay after the previous task completes', async () => {
		const {scheduler, clock, driver, fleet} = await setup();
		const {pipelineId, schedules} = scheduler.pipeline({steps: ['write it', 'test it', 'ship it'], delayMs: 5 * MINUTE, task: {cwd, priority: 'P0'}});
		expect(schedules.map(s => [s.id, s.pipeline!.step, s.status, s.runAt])).toEqual([
			['s2', 1, 'completed', Date.UTC(2026, 10, 23, 9, 30)],
			['s3', 2, 'active', undefined],
			['s4', 3, 'active', undefined],
		]);
		expect(pipelineId).toBe('s1');
		expect(fleet.get('t1')).toMatchObject({prompt: 'write it', priority: 'P0'});
		clock.advance(20 * MINUTE);
		expect(driver.started).toHaveLength(1);
		driver.worker('t1').finish('written');
		expect(scheduler.get('s3')).toMatchObject({runAt: Date.UTC(2026, 10, 23, 9, 55), nextRunAt: Date.UTC(2026, 10, 23, 9, 55)});
		clock.advance(5 * MINUTE - 1);
		expect(driver.started).toHaveLength(1);
		clock.advance(1);
		expect(fleet.get('t2')).toMatchObject({prompt: 'test it', createdAt: Date.UTC(2026, 10, 23, 9, 55)});
		clock.advance(MINUTE);
		driver.worker('t2').finish('tested');
		clock.advance(5 * MINUTE);
		expect(fleet.get('t3').prompt).toBe('ship it');
		driver.worker('t3').finish('shipped');
		expect(scheduler.list({pipelineId}).map(s => [s.status, scheduler.runs(s.id).map(run => run.outcome)])).toEqual([
			['completed', ['completed']],
			['completed', ['completed']],
			['completed', ['completed']],
		]);
	});

	it('cancels the rest with the reason when a step fails', async () => {
		const {scheduler, clock, driver} = await setup();
		const {pipelineId} = scheduler.pipeline({steps: ['one', 'two', 'three'], delayMs: MINUTE, task: {cwd}});
		driver.worker('t1').finish('ok');
		clock.advance(MINUTE);
		driver.worker('t2').exit({exitCode: 1, signal: null});
		const steps = scheduler.list({pipelineId});
		expect(steps.map(s => s.status)).toEqual(['completed', 'completed', 'cancelled']);
		expect(steps[2]!.endReason).toBe('Pipeline stopped: step 2 (task t2) failed: claude exited with code 1 before it finished.');
		clock.advance(HOUR);
		expect(driver.started).toHaveLength(2);
	});

	it('cancelling a waiting step cancels the steps after it', async () => {
		const {scheduler, driver} = await setup();
		scheduler.pipeline({steps: ['one', 'two', 'three'], task: {cwd}});
		scheduler.cancel('s3', 'changed my mind');
		expect(scheduler.get('s4')).toMatchObject({status: 'cancelled', endReason: 'Pipeline stopped: step 2 (schedule s3) was cancelled: changed my mind'});
		driver.worker('t1').finish('ok');
		expect(driver.started).toHaveLength(1);
	});

	it('moves on after a restart when a step completed while the scheduler was down', async () => {
		const env = await setup();
		env.scheduler.pipeline({steps: ['one', 'two'], delayMs: 10 * MINUTE, task: {cwd}});
		env.scheduler.stop();
		env.driver.worker('t1').finish('ok');
		env.restart(HOUR);
		// Step 1 is settled at start; step 2 is armed from then, not from when the task ended unseen.
		expect(env.scheduler.get('s3')).toMatchObject({status: 'active', nextRunAt: Date.UTC(2026, 10, 23, 10, 40)});
		env.clock.advance(10 * MINUTE);
		expect(env.fleet.get('t2').prompt).toBe('two');
	});

	it('refuses an empty pipeline, an empty step and a negative delay', async () => {
		const {scheduler} = await setup();
		expect(() => scheduler.pipeline({steps: [], task: {cwd}})).toThrow(/at least one step/);
		expect(() => scheduler.pipeline({steps: ['a', ' '], task: {cwd}})).toThrow(/Step 2 of the pipeline has an empty prompt/);
		expect(() => scheduler.pipeline({steps: ['a'], delayMs: -1, task: {cwd}})).toThrow(/≥ 0 milliseconds/);
		expect(() => scheduler.pipeline({steps: ['a'], task: {cwd: 'rel'}})).toThrow(/absolute path/);
	});
});

describe('Scheduler: events', () => {
	/** Every event the scheduler emits, as `event id detail`, each checked against the store at the moment it arrives. */
	function record(env: Awaited<ReturnType<typeof setup>>) {
		const seen: string[] = [];
		const {scheduler, store} = env;
		scheduler.on('schedule:created', ({schedule}) => {
			expect(store.get(schedule.id)).toEqual(schedule);
			seen.push(`created ${schedule.id} ${schedule.status}`);
		});
		scheduler.on('schedule:updated', ({schedule}) => {
			expect(store.get(schedule.id)).toEqual(schedule);
			seen.push(`updated ${schedule.id} ${schedule.status}`);
		});
		scheduler.on('schedule:run-recorded', ({run}) => {
			expect(store.runs(run.scheduleId).find(known => known.id === run.id)).toEqual(run);
			seen.push(`run ${run.scheduleId} ${run.outcome}`);
		});
		return seen;
	}

	it('announces each change once it is stored: created, paused, resumed, fired, settled, cancelled', async () => {
		const env = await setup();
		const seen = record(env);
		const {scheduler, clock, driver} = env;
		scheduler.create(hourly());
		scheduler.pause('s1');
		scheduler.resume('s1');
		expect(seen.splice(0)).toEqual(['created s1 active', 'updated s1 paused', 'updated s1 active']);
		clock.advance(30 * MINUTE);
		expect(seen.splice(0)).toEqual(['updated s1 active', 'run s1 started']);
		driver.worker('t1').finish('ok');
		expect(seen.splice(0)).toEqual(['run s1 completed']);
		scheduler.cancel('s1', 'done with it');
		expect(seen.splice(0)).toEqual(['updated s1 cancelled']);
	});

	it('announces the steps of a pipeline, the next step armed, and the rest cancelled when a step fails', async () => {
		const env = await setup();
		const seen = record(env);
		const {scheduler, driver, clock} = env;
		scheduler.pipeline({steps: ['write it', 'test it', 'ship it'], delayMs: MINUTE, task: {cwd}});
		expect(seen.splice(0)).toEqual(['created s2 active', 'created s3 active', 'created s4 active', 'updated s2 completed', 'run s2 started']);
		driver.worker('t1').finish('written');
		expect(seen.splice(0)).toEqual(['run s2 completed', 'updated s3 active']);
		clock.advance(MINUTE);
		expect(seen.splice(0)).toEqual(['updated s3 completed', 'run s3 started']);
		driver.worker('t2').exit({exitCode: 1, signal: null});
		expect(seen.splice(0)).toEqual(['run s3 failed', 'updated s4 cancelled']);
	});

	it('announces missed runs found at start', async () => {
		const env = await setup();
		env.scheduler.create(hourly({missedRunPolicy: 'skip'}));
		env.scheduler.stop();
		env.clock.advance(3 * HOUR);
		const seen: string[] = [];
		const restarted = createScheduler({store: env.store, clock: env.clock, ids: new ScheduleIds(), fleet: env.fleet}, {defaultTimezone: 'UTC'});
		restarted.on('schedule:updated', ({schedule}) => seen.push(`updated ${schedule.id} ${new Date(schedule.nextRunAt!).toISOString()}`));
		restarted.on('schedule:run-recorded', ({run}) => seen.push(`run ${run.scheduleId} ${run.outcome}`));
		restarted.start();
		expect(seen).toEqual(['updated s1 2026-11-23T13:00:00.000Z', 'run s1 missed-skipped']);
	});

	it('a listener that throws is logged and stops neither the scheduler nor the other listeners', async () => {
		const env = await setup();
		const errors: string[] = [];
		const scheduler = createScheduler(
			{
				store: new MemoryScheduleStore(),
				clock: env.clock,
				ids: new ScheduleIds(),
				fleet: env.fleet,
				logger: {debug() {}, info() {}, warn() {}, error: message => errors.push(message)},
			},
			{defaultTimezone: 'UTC'},
		);
		scheduler.start();
		const seen: string[] = [];
		scheduler.on('schedule:created', () => {
			throw new Error('boom');
		});
		scheduler.on('schedule:created', ({schedule}) => seen.push(schedule.id));
		expect(scheduler.create(hourly()).id).toBe('s1');
		expect(seen).toEqual(['s1']);
		expect(errors).toEqual(['A schedule:created listener failed: Error: boom']);
		scheduler.stop();
	});
});
