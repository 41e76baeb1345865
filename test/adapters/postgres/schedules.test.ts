import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {migrate} from '../../../source/adapters/postgres/migrations.js';
import {PostgresScheduleStore} from '../../../source/adapters/postgres/postgres-schedule-store.js';
import {ScheduleNotFoundError} from '../../../source/core/domain/schedule.js';
import {fullSchedule, minimalSchedule} from '../../contracts/schedule-store.contract.js';
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

	it('lets exactly one host fire each due time when three hosts that all think they lead claim it at the same moment', async () => {
		const hosts = await Promise.all(['a', 'b', 'c'].map(id => host(id)));
		await hosts[0]!.insert(minimalSchedule('every-minute', {cron: '* * * * *', nextRunAt: 60_000}));
		const winners: string[] = [];
		for (let minute = 1; minute <= 10; minute++) {
			const claims = await Promise.all(hosts.map(store => store.claimFiring('every-minute', minute * 60_000)));
			const won = ['a', 'b', 'c'].filter((_, index) => claims[index]!.won);
			expect(won).toHaveLength(1);
			// The losers learn who fired it (should that host never record its run).
			for (const claim of claims) if (!claim.won) expect(claim.by).toBe(won[0]);
			winners.push(won[0]!);
		}
		const {rows} = await pools[0]!.query<{due_at: number; host_id: string}>('SELECT due_at, host_id FROM schedule_firings ORDER BY due_at');
		expect(rows).toEqual(winners.map((hostId, index) => ({due_at: (index + 1) * 60_000, host_id: hostId})));
		// A host that claimed a due time and stopped before firing it may still fire it; no other host may.
		const again = await host(winners[0]!);
		expect(await again.claimFiring('every-minute', 60_000)).toEqual({won: true});
	});

	it('refuses a claim for a schedule that does not exist, naming it', async () => {
		const store = await host('a');
		await expect(store.claimFiring('nope', 60_000)).rejects.toThrow(ScheduleNotFoundError);
	});
});
