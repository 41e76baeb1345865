import {afterEach, describe, expect, it} from 'vitest';
import {FleetError} from '../../source/core/domain/errors.js';
import {ScheduleNotFoundError, type NewScheduleRun, type Schedule} from '../../source/core/domain/schedule.js';
import type {ScheduleStore} from '../../source/core/ports/schedule-store.js';

/** A cron schedule with only the fields every schedule has. */
export function minimalSchedule(id: string, changes: Partial<Schedule> = {}): Schedule {
	return {
		id,
		kind: 'cron',
		cron: '0 9 * * *',
		timezone: 'UTC',
		missedRunPolicy: 'skip',
		status: 'active',
		task: {prompt: `do ${id}`, cwd: '/work'},
		createdAt: 1_000,
		updatedAt: 1_000,
		...changes,
	};
}

/** A schedule with every optional field set. */
export function fullSchedule(id: string, changes: Partial<Schedule> = {}): Schedule {
	return {
		id,
		kind: 'once',
		runAt: 1_750_000_000_000,
		timezone: 'America/New_York',
		missedRunPolicy: 'catchup',
		status: 'paused',
		task: {
			prompt: 'Review "parser.ts" — don\'t touch tests ✅\nline two',
			cwd: '/home/me/project with space',
			priority: 'P0',
			permissionMode: 'plan',
			mode: 'headless',
			model: 'opus',
			timeoutMs: 90_000,
			maxOutputBytes: 4096,
		},
		nextRunAt: 1_750_000_000_000,
		lastRunAt: 1_749_000_000_000,
		createdAt: 1_748_000_000_000,
		updatedAt: 1_748_000_000_500,
		endReason: 'why not',
		pipeline: {pipelineId: 'p1', step: 2, steps: 3, delayMs: 300_000},
		...changes,
	};
}

const run = (scheduleId: string, changes: Partial<NewScheduleRun> = {}): NewScheduleRun => ({
	scheduleId,
	scheduledFor: 5_000,
	firedAt: 5_010,
	outcome: 'started',
	taskId: 'task-1',
	...changes,
});

/** The ScheduleStore port's contract, for any adapter. `makeStore` returns a fresh, empty store per test. */
export function describeScheduleStore(name: string, makeStore: () => ScheduleStore): void {
	describe(`ScheduleStore contract: ${name}`, () => {
		let store: ScheduleStore;
		const open = (): ScheduleStore => {
			store = makeStore();
			return store;
		};

		afterEach(() => {
			store.close();
		});

		it('returns a fully populated schedule deep-equal to the one inserted', () => {
			const s = open();
			s.insert(fullSchedule('full'));
			expect(s.get('full')).toStrictEqual(fullSchedule('full'));
		});

		it('returns a minimal schedule with its optional fields absent, not present as undefined', () => {
			const s = open();
			s.insert(minimalSchedule('min'));
			const got = s.get('min')!;
			expect(got).toStrictEqual(minimalSchedule('min'));
			for (const key of ['runAt', 'nextRunAt', 'lastRunAt', 'endReason', 'pipeline']) expect(Object.hasOwn(got, key), key).toBe(false);
			for (const key of ['priority', 'mode', 'model', 'timeoutMs']) expect(Object.hasOwn(got.task, key), key).toBe(false);
		});

		it('returns undefined for an unknown id and refuses a duplicate id', () => {
			const s = open();
			expect(s.get('nope')).toBeUndefined();
			s.insert(minimalSchedule('a'));
			expect(() => s.insert(minimalSchedule('a'))).toThrow(FleetError);
			expect(() => s.insert(minimalSchedule('a'))).toThrow(/already exists/);
		});

		it('updates a schedule, removing fields that became absent, and refuses an unknown one', () => {
			const s = open();
			s.insert(fullSchedule('x'));
			const {nextRunAt: _next, pipeline: _pipeline, ...rest} = fullSchedule('x', {status: 'active'});
			s.update(rest);
			expect(s.get('x')).toStrictEqual(rest);
			expect(() => s.update(minimalSchedule('ghost'))).toThrow(ScheduleNotFoundError);
		});

		it('hands out copies: mutating what was passed in or got back changes nothing stored', () => {
			const s = open();
			const schedule = fullSchedule('c');
			s.insert(schedule);
			schedule.task.prompt = 'changed';
			schedule.pipeline!.step = 9;
			const got = s.get('c')!;
			got.task.cwd = '/elsewhere';
			s.list()[0]!.status = 'cancelled';
			expect(s.get('c')).toStrictEqual(fullSchedule('c'));
		});

		it('lists oldest first, by status and by pipeline', () => {
			const s = open();
			s.insert(minimalSchedule('one'));
			s.insert(fullSchedule('two', {status: 'active'}));
			s.insert(minimalSchedule('three', {status: 'cancelled', pipeline: {pipelineId: 'p1', step: 1, steps: 3, delayMs: 0}}));
			s.insert(minimalSchedule('four', {status: 'paused', pipeline: {pipelineId: 'p2', step: 1, steps: 1, delayMs: 0}}));
			expect(s.list().map(x => x.id)).toEqual(['one', 'two', 'three', 'four']);
			expect(s.list({statuses: ['active']}).map(x => x.id)).toEqual(['one', 'two']);
			expect(s.list({statuses: ['paused', 'cancelled']}).map(x => x.id)).toEqual(['three', 'four']);
			expect(s.list({statuses: []})).toEqual([]);
			expect(s.list({pipelineId: 'p1'}).map(x => x.id)).toEqual(['two', 'three']);
			expect(s.list({pipelineId: 'p1', statuses: ['cancelled']}).map(x => x.id)).toEqual(['three']);
			expect(s.list({pipelineId: 'none'})).toEqual([]);
		});

		it('adds runs with increasing ids, returns them as stored, and lists the newest N oldest first', () => {
			const s = open();
			s.insert(minimalSchedule('a'));
			s.insert(minimalSchedule('b'));
			const first = s.addRun(run('a'));
			const other = s.addRun(run('b', {outcome: 'missed-skipped', missedCount: 3, detail: 'skipped 3', taskId: undefined}));
			const second = s.addRun(run('a', {scheduledFor: 6_000, outcome: 'skipped-overlap'}));
			expect(first.id).toBeLessThan(other.id);
			expect(other.id).toBeLessThan(second.id);
			expect(Object.hasOwn(other, 'taskId')).toBe(false);
			expect(s.runs('a')).toStrictEqual([first, second]);
			expect(s.runs('b')).toStrictEqual([other]);
			expect(s.runs('a', 1)).toStrictEqual([second]);
			expect(s.runs('a', 0)).toEqual([]);
			expect(s.runs('nobody')).toEqual([]);
			expect(() => s.runs('a', -1)).toThrow(TypeError);
		});

		it('refuses a run of an unknown schedule', () => {
			const s = open();
			expect(() => s.addRun(run('ghost'))).toThrow(ScheduleNotFoundError);
		});

		it('updates the schedule in the same call as adding a run, or neither when the schedule is gone', () => {
			const s = open();
			s.insert(minimalSchedule('a', {nextRunAt: 5_000}));
			s.addRun(run('a'), minimalSchedule('a', {nextRunAt: 9_000, lastRunAt: 5_010, updatedAt: 5_010}));
			expect(s.get('a')).toMatchObject({nextRunAt: 9_000, lastRunAt: 5_010});
			expect(() => s.addRun(run('a', {scheduledFor: 9_000}), minimalSchedule('ghost'))).toThrow(ScheduleNotFoundError);
			expect(s.runs('a')).toHaveLength(1);
		});

		it('updates a run with its outcome and lists only unsettled runs as pending', () => {
			const s = open();
			s.insert(minimalSchedule('a'));
			const started = s.addRun(run('a', {taskId: 't1'}));
			const other = s.addRun(run('a', {taskId: 't2', scheduledFor: 6_000}));
			s.addRun(run('a', {outcome: 'missed-failed', taskId: undefined}));
			expect(s.pendingRuns().map(r => r.taskId)).toEqual(['t1', 't2']);
			const done = {...started, outcome: 'completed' as const, endedAt: 7_000, detail: 'fine'};
			s.updateRun(done);
			expect(s.runs('a')[0]).toStrictEqual(done);
			expect(s.pendingRuns()).toStrictEqual([other]);
			expect(() => s.updateRun({...done, id: 999})).toThrow(FleetError);
		});

		it('refuses to be used after close', () => {
			const s = open();
			s.close();
			expect(() => s.list()).toThrow(/closed/);
		});
	});
}
