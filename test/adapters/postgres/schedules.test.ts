import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {PostgresScheduleStore} from '../../../source/adapters/postgres/postgres-schedule-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {ScheduleNotFoundError} from '../../../source/core/domain/schedule.js';
import {fullSchedule, minimalSchedule} from '../../contracts/schedule-store.contract.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';

const server = usePostgres();
let url: string;
let pools: pg.Pool[] = [];

async function host(id: string): Promise<PostgresScheduleStore> {
	const pool = await openPool(url);
	pools.push(pool);
	return new PostgresScheduleStore(pool, id);
}

beforeEach(async () => {
	url = await server().createDatabase();
	const pool = await openPool(url);
	pools.push(pool);
	await migrate(pool);
});

afterEach(async () => {
	await Promise.all(pools.map(pool => pool.end()));
	pools = [];
});

describe('PostgresScheduleStore', () => {
	it('reads back schedules and runs as written, like the SQLite store', async () => {
		const store = await host('a');
		const full = fullSchedule('full');
		await store.insert(full);
		await store.insert(minimalSchedule('minimal'));
		await expect(store.insert(minimalSchedule('minimal'))).rejects.toThrow('already exists');
		expect(await store.get('full')).toEqual(full);
		expect(await store.get('minimal')).toEqual(minimalSchedule('minimal'));
		expect((await store.list({statuses: ['active']})).map(schedule => schedule.id)).toEqual(['minimal']);
		expect((await store.list({pipelineId: 'p1'})).map(schedule => schedule.id)).toEqual(['full']);
		expect(await store.list({statuses: []})).toEqual([]);

		const moved = {...minimalSchedule('minimal'), lastRunAt: 5_000, nextRunAt: 9_000, updatedAt: 5_000};
		const first = await store.addRun({scheduleId: 'minimal', scheduledFor: 4_000, firedAt: 5_000, taskId: 't1', outcome: 'started'}, moved);
		const second = await store.addRun({scheduleId: 'minimal', scheduledFor: 3_000, firedAt: 5_000, outcome: 'missed-skipped', missedCount: 2, detail: 'down'});
		expect(second.id).toBeGreaterThan(first.id);
		expect(await store.get('minimal')).toEqual(moved);
		expect(await store.pendingRuns()).toEqual([first]);
		await store.updateRun({...first, outcome: 'completed', endedAt: 6_000});
		expect(await store.pendingRuns()).toEqual([]);
		expect(await store.runs('minimal')).toEqual([{...first, outcome: 'completed', endedAt: 6_000}, second]);
		expect(await store.runs('minimal', 1)).toEqual([second]);
		await expect(store.addRun({scheduleId: 'nope', scheduledFor: 1, firedAt: 1, outcome: 'started'})).rejects.toThrow(ScheduleNotFoundError);
		await expect(store.update(minimalSchedule('nope'))).rejects.toThrow(ScheduleNotFoundError);
	});

	it('fires each due time exactly once when three hosts that all think they lead fire it at the same moment', async () => {
		const hosts = await Promise.all(['a', 'b', 'c'].map(id => host(id)));
		await hosts[0]!.insert(minimalSchedule('every-minute', {cron: '* * * * *', nextRunAt: 60_000}));
		const winners: string[] = [];
		for (let minute = 1; minute <= 10; minute++) {
			const dueAt = minute * 60_000;
			const results = await Promise.all(
				hosts.map(async (store, index) => {
					const taskId = `run-${minute}-by-${index}`;
					const next = minimalSchedule('every-minute', {cron: '* * * * *', nextRunAt: dueAt + 60_000, lastRunAt: dueAt, updatedAt: dueAt});
					const run = {scheduleId: 'every-minute', scheduledFor: dueAt, firedAt: dueAt, taskId, outcome: 'started' as const};
					return (await store.fireOnce(dueAt, next, run, {task: minimalTask(taskId)})) ? taskId : undefined;
				}),
			);
			const fired = results.filter(taskId => taskId !== undefined);
			expect(fired).toHaveLength(1);
			winners.push(fired[0]!);
		}
		const runs = await hosts[0]!.runs('every-minute');
		expect(runs.map(run => run.taskId)).toEqual(winners);
		expect(runs.map(run => run.scheduledFor)).toEqual(Array.from({length: 10}, (_, index) => (index + 1) * 60_000));
		// Only the winners' tasks exist: a loser wrote nothing.
		const tasks = await new PostgresTaskStore(pools[0]!).list();
		expect(tasks.map(task => task.id).sort()).toEqual([...winners].sort());
		const {rows} = await pools[0]!.query<{fired_by: string}>('SELECT fired_by FROM schedule_runs ORDER BY id');
		expect(rows.every(row => ['a', 'b', 'c'].includes(row.fired_by))).toBe(true);
		expect((await hosts[0]!.get('every-minute'))?.nextRunAt).toBe(11 * 60_000);
	});

	it('fires nothing for a schedule paused meanwhile', async () => {
		const store = await host('a');
		await store.insert(minimalSchedule('paused', {status: 'paused'}));
		const next = minimalSchedule('paused', {nextRunAt: 120_000});
		expect(await store.fireOnce(60_000, next, {scheduleId: 'paused', scheduledFor: 60_000, firedAt: 60_000, outcome: 'started'})).toBeUndefined();
		expect(await store.runs('paused')).toEqual([]);
	});
});
