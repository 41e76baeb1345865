import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import {afterEach, expect, it} from 'vitest';
import {fleetHosts, type Host} from '../helpers/fleet-hosts.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// Three daemons share one fleet on one PostgreSQL. A cron schedule made on a host that does not lead fires once a minute
// across the three, for three minutes of real time, also after the leading host is killed with SIGKILL half-way: every
// due time fires exactly once, each task runs once, and a host that does not lead can pause the schedule.
const postgres = usePostgres();
const cluster = fleetHosts('multi-host-schedules-test');
const {startHost, client, database} = cluster;

afterEach(() => cluster.cleanup());

type Run = {scheduled_for: number; task_id: string | null; outcome: string; fired_by: string};

async function runs(pool: pg.Pool): Promise<Run[]> {
	return (await pool.query<Run>('SELECT scheduled_for, task_id, outcome, fired_by FROM schedule_runs ORDER BY scheduled_for')).rows;
}

/** The host whose scheduler leads: the one holding the advisory lock, by its session's name. */
async function leader(pool: pg.Pool): Promise<string | undefined> {
	const {rows} = await pool.query<{name: string}>(
		"SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.application_name LIKE 'ccfleet scheduler %'",
	);
	return rows[0]?.name.replace('ccfleet scheduler ', '');
}

it('fires a cron schedule once a minute across three hosts for three minutes, while the leader is killed', async () => {
	const url = await postgres().createDatabase();
	const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-schedules-project-'));
	cluster.onCleanup(() => rmSync(project, {recursive: true, force: true}));
	// A short lease: the killed host's tasks (if any still run) go to the others within seconds.
	const hosts = new Map<string, Host>();
	for (const id of ['a', 'b', 'c']) hosts.set(id, await startHost(id, url, {CCFLEET_LEASE_MS: '3000'}));
	const pool = await database(url);
	await waitFor('one host to lead the schedules', async () => (await leader(pool)) !== undefined);
	const first = (await leader(pool))!;
	const [follower, other] = [...hosts.keys()].filter(id => id !== first);
	const onFollower = await client(hosts.get(follower!)!);
	const created = await onFollower.call('schedule_task', {prompt: 'the minute check', cwd: project, cron: '* * * * *', timezone: 'UTC'});
	const scheduleId = created.schedule.id;

	await waitFor('the first minute to fire', async () => (await runs(pool)).length >= 1, 90_000, 200);
	const [firstRun] = await runs(pool);
	expect(firstRun!.fired_by).toBe(first);
	// Killed once its task is done: what this proves is the lead moving on (a task taken over is multi-host.test.ts's).
	await waitFor(
		'the first task to complete',
		async () => (await pool.query("SELECT 1 FROM tasks WHERE id = $1 AND status = 'completed'", [firstRun!.task_id])).rowCount === 1,
	);
	hosts.get(first)!.child.kill('SIGKILL');
	await waitFor('another host to lead', async () => ![undefined, first].includes(await leader(pool)), 30_000, 100);

	await waitFor('three minutes to fire', async () => (await runs(pool)).length >= 3, 200_000, 500);
	// Paused from a host that does not lead (when one leads that is not this one): the leader hears it and stops firing.
	const onOther = await client(hosts.get(other!)!);
	await onOther.call('pause_schedule', {id: scheduleId});
	const fired = (await runs(pool)).slice(0, 3);
	const minutes = fired.map(run => run.scheduled_for);
	expect(minutes.map(minute => minute % 60_000)).toEqual([0, 0, 0]);
	expect(minutes).toEqual([minutes[0]!, minutes[0]! + 60_000, minutes[0]! + 120_000]);
	expect(new Set(fired.map(run => run.fired_by)).size).toBeGreaterThanOrEqual(2);
	expect(fired.slice(1).every(run => run.fired_by !== first)).toBe(true);

	// Every run started a task, and every task ran once.
	await waitFor('the fired tasks to complete', async () => {
		const {rows} = await pool.query<{status: string}>('SELECT status FROM tasks WHERE id = ANY($1)', [fired.map(run => run.task_id)]);
		return rows.length === 3 && rows.every(row => row.status === 'completed');
	});
	const {rows: claims} = await pool.query<{task_id: string; claims: number}>(
		"SELECT task_id, count(*)::integer AS claims FROM task_claims WHERE event = 'claimed' AND task_id = ANY($1) GROUP BY task_id",
		[fired.map(run => run.task_id)],
	);
	expect(claims.map(row => row.claims)).toEqual([1, 1, 1]);
	const {rows: tasks} = await pool.query<{count: number}>("SELECT count(*)::integer AS count FROM tasks WHERE prompt = 'the minute check'");
	expect(tasks[0]!.count).toBe((await runs(pool)).filter(run => run.task_id !== null).length);
	// The pause made on one host reaches the others' views (through the database's notification).
	await waitFor('the follower to see the pause', async () => (await onFollower.call('get_schedule', {id: scheduleId})).schedule.status === 'paused');
}, 330_000);
