import type pg from 'pg';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {MirroredScheduleStore, type ScheduleMirrorOptions} from '../../../source/adapters/postgres/mirrored-schedule-store.js';
import {PostgresScheduleStore} from '../../../source/adapters/postgres/postgres-schedule-store.js';
import {describeScheduleStore, fullSchedule, minimalSchedule} from '../../contracts/schedule-store.contract.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let admin: pg.Pool;
const opened: Array<{store: MirroredScheduleStore; changes: ChangeFeed; pool: pg.Pool}> = [];
let next: MirroredScheduleStore | undefined;

async function mirror(options: Partial<ScheduleMirrorOptions> = {}): Promise<MirroredScheduleStore> {
	const pool = await openPool(url, {applicationName: 'schedule-mirror'});
	const changes = new ChangeFeed(url, {applicationName: 'ccfleet schedules h'});
	const store = await MirroredScheduleStore.open(pool, changes, {hostId: 'h', ...options});
	opened.push({store, changes, pool});
	return store;
}

beforeAll(async () => {
	url = await server().createDatabase();
	admin = await openPool(url);
	await migrate(admin);
});

afterAll(async () => {
	await admin.end();
});

afterEach(async () => {
	for (const {store, changes, pool} of opened.splice(0)) {
		store.close();
		expect(await store.closed()).toEqual([]);
		await changes.stop();
		await pool.end();
	}
	await admin.query('TRUNCATE schedule_firings, schedule_runs, schedules');
});

describe('the ScheduleStore contract, on a mirror of PostgreSQL', () => {
	beforeEach(async () => {
		next = await mirror();
	});
	describeScheduleStore('MirroredScheduleStore', () => next!);
});

describe('MirroredScheduleStore across hosts', () => {
	it('writes schedules and runs through to the database, and shows one host’s changes to another', async () => {
		const heard: string[] = [];
		const a = await mirror({hostId: 'a'});
		const b = await mirror({hostId: 'b', onRemoteChange: ({schedule, run}) => heard.push(schedule ? `schedule ${schedule.id}` : `run ${run!.id} ${run!.outcome}`)});
		a.insert(fullSchedule('s1'));
		const moved = {...fullSchedule('s1'), status: 'active' as const, lastRunAt: 5_000, updatedAt: 5_000};
		const run = a.addRun({scheduleId: 's1', scheduledFor: 4_000, firedAt: 5_000, taskId: 't1', outcome: 'started'}, moved);
		a.updateRun({...run, outcome: 'completed', endedAt: 6_000});
		await a.flush();
		const rows = new PostgresScheduleStore(admin, 'reader');
		expect(await rows.get('s1')).toEqual(moved);
		expect(await rows.runs('s1')).toEqual([{...run, outcome: 'completed', endedAt: 6_000}]);
		await waitFor('b to see the settled run and the moved schedule', () => b.runs('s1')[0]?.outcome === 'completed' && b.get('s1')?.lastRunAt === 5_000);
		expect(b.get('s1')).toEqual(moved);
		expect(heard).toContain('schedule s1');
		// The run was added and settled before b read it: b hears of it settled.
		expect(heard.filter(line => line.startsWith('run')).at(-1)).toBe(`run ${run.id} completed`);
		const {rows: firedBy} = await admin.query<{fired_by: string}>('SELECT fired_by FROM schedule_runs');
		expect(firedBy).toEqual([{fired_by: 'a'}]);
	});

	it('hands out increasing run ids from its own reserved block, beyond the first block', async () => {
		const a = await mirror({hostId: 'a'});
		a.insert(minimalSchedule('busy'));
		const ids: number[] = [];
		for (let index = 0; index < 150; index++) ids.push(a.addRun({scheduleId: 'busy', scheduledFor: index, firedAt: index, outcome: 'missed-failed'}).id);
		await a.flush();
		for (let index = 0; index < 150; index++) ids.push(a.addRun({scheduleId: 'busy', scheduledFor: index, firedAt: index, outcome: 'missed-failed'}).id);
		expect(ids).toEqual([...ids].sort((x, y) => x - y));
		expect(new Set(ids).size).toBe(300);
		await a.flush();
		const {rows} = await admin.query<{count: number}>('SELECT count(*)::integer AS count FROM schedule_runs');
		expect(rows[0]?.count).toBe(300);
	});
});
