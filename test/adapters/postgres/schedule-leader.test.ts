// One scheduler for the fleet: three hosts each run a LeaderLock, and whichever leads fires the schedule's due times
// after claiming it (claimFiring). The leader's session is killed half-way while its loop goes on (it learns of the loss only at its
// next check), so for a moment two hosts may fire: each due time must still fire exactly once, and firing goes on.
import type pg from 'pg';
import {expect, it} from 'vitest';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {LeaderLock} from '../../../source/adapters/postgres/leader-lock.js';
import {PostgresScheduleStore} from '../../../source/adapters/postgres/postgres-schedule-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {minimalSchedule} from '../../contracts/schedule-store.contract.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {useMigratedDatabase} from '../../helpers/postgres-database.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const DUE_TIMES = 30;
const STEP_MS = 60_000;

const server = usePostgres();
let url: string;
let admin: pg.Pool;
const cleanups = useMigratedDatabase(server, database => ({url, admin} = database));

/** A host whose scheduler fires the next due time whenever it leads, every few milliseconds. */
async function schedulerHost(id: string): Promise<{lock: LeaderLock; fired: number[]}> {
	const pool = await openPool(url, {applicationName: `${id}-pool`});
	const store = new PostgresScheduleStore(pool, id);
	const tasks = new PostgresTaskStore(pool);
	const lock = new LeaderLock(url, {applicationName: `${id}-leader`, checkMs: 40, onChange: () => {}});
	const fired: number[] = [];
	let isFiring = false;
	const timer = setInterval(() => {
		if (!lock.isLeader || isFiring) return;
		isFiring = true;
		void (async () => {
			const schedule = await store.get('tick');
			const dueAt = schedule?.nextRunAt;
			if (dueAt === undefined || dueAt > DUE_TIMES * STEP_MS) return;
			const next = {...schedule!, nextRunAt: dueAt + STEP_MS, lastRunAt: dueAt, updatedAt: dueAt};
			const taskId = `tick-${dueAt / STEP_MS}-${id}`;
			if (!(await store.claimFiring('tick', dueAt)).won) return;
			await tasks.insert(minimalTask(taskId));
			await store.addRun({scheduleId: 'tick', scheduledFor: dueAt, firedAt: dueAt, taskId, outcome: 'started'}, next);
			fired.push(dueAt);
		})().finally(() => {
			isFiring = false;
		});
	}, 5);
	await lock.start();
	cleanups.push(async () => {
		clearInterval(timer);
		await lock.stop();
		await pool.end();
	});
	return {lock, fired};
}

it('fires every due time exactly once across three hosts, also while the lead changes hands', async () => {
	await new PostgresScheduleStore(admin, 'setup').insert(minimalSchedule('tick', {cron: '* * * * *', nextRunAt: STEP_MS}));
	const hosts: Array<Awaited<ReturnType<typeof schedulerHost>>> = [];
	for (const id of ['h0', 'h1', 'h2']) hosts.push(await schedulerHost(id));
	expect(hosts.map(host => host.lock.isLeader)).toEqual([true, false, false]);
	await waitFor('ten due times to fire', () => hosts[0]!.fired.length >= 10);
	await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'h0-leader'");
	await waitFor('another host to lead', () => hosts.slice(1).some(host => host.lock.isLeader));
	await waitFor('every due time to fire', async () => {
		const {rows} = await admin.query<{count: number}>('SELECT count(*)::integer AS count FROM schedule_runs');
		return rows[0]?.count === DUE_TIMES;
	});
	const {rows} = await admin.query<{scheduled_for: number; fired_by: string}>('SELECT scheduled_for, fired_by FROM schedule_runs ORDER BY id');
	expect(rows.map(row => row.scheduled_for)).toEqual(Array.from({length: DUE_TIMES}, (_, index) => (index + 1) * STEP_MS));
	expect(new Set(rows.map(row => row.fired_by)).size).toBeGreaterThanOrEqual(2);
	const {rows: tasks} = await admin.query<{count: number}>('SELECT count(*)::integer AS count FROM tasks');
	expect(tasks[0]?.count).toBe(DUE_TIMES);
	expect(hosts.flatMap(host => host.fired).sort((a, b) => a - b)).toEqual(rows.map(row => row.scheduled_for));
});
