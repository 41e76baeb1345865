import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import type {FleetClient} from '../../source/cli/client.js';
import {ConfigError, loadConfig} from '../../source/config.js';
import {processesOfTask} from '../helpers/ccfleet-process.js';
import {fleetHosts} from '../helpers/fleet-hosts.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// Three daemons, each with a home of its own and a host id, share one fleet on one PostgreSQL: a queue every host
// takes work from, each task run exactly once, and a killed host's tasks finished by the others.
const postgres = usePostgres();
const cluster = fleetHosts('multi-host-test');
const {startHost, client, database} = cluster;

afterEach(() => cluster.cleanup());

/** Submits `count` tasks spread over the hosts' sockets, a few at a time over each. */
async function submitSpread(clients: FleetClient[], count: number, prompt: (i: number) => string, cwd: string): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < count; i += 30) {
		const batch = Array.from({length: Math.min(30, count - i)}, (_, j) => clients[(i + j) % clients.length]!.call('delegate_task', {prompt: prompt(i + j), cwd}));
		ids.push(...(await Promise.all(batch)).map(result => result.task.id));
	}
	return ids;
}

async function statuses(pool: pg.Pool): Promise<{id: string; status: string; attempts: number; host_id: string | null}[]> {
	return (await pool.query<{id: string; status: string; attempts: number; host_id: string | null}>('SELECT id, status, attempts, host_id FROM tasks')).rows;
}

async function claimsPerTask(pool: pg.Pool): Promise<Map<string, number>> {
	const {rows} = await pool.query<{task_id: string; n: string}>("SELECT task_id, count(*) AS n FROM task_claims WHERE event = 'claimed' GROUP BY task_id");
	return new Map(rows.map(row => [row.task_id, Number(row.n)]));
}

describe('several hosts on one PostgreSQL', () => {
	it('refuses a database URL that is not PostgreSQL and a bad host id, saying what is accepted', () => {
		expect(() => loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_DATABASE_URL: 'mysql://db/fleet'})).toThrow(ConfigError);
		expect(() => loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_DATABASE_URL: 'mysql://db/fleet'})).toThrow(/give postgres:\/\/user:password@host:5432\/database/);
		expect(() => loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_DATABASE_URL: 'postgres://db/fleet', CCFLEET_HOST_ID: 'a b'})).toThrow(
			/CCFLEET_HOST_ID is "a b"; give 1–63 letters/,
		);
		const shared = loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_DATABASE_URL: 'postgres://db/fleet', CCFLEET_HOST_LABELS: 'gpu, big-ram,gpu'});
		expect(shared.shared).toMatchObject({databaseUrl: 'postgres://db/fleet'});
		expect(shared.host).toEqual({id: os.hostname(), labels: ['gpu', 'big-ram']});
		expect(() => loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_DATABASE_URL: 'postgres://db/fleet', CCFLEET_HOST_LABELS: 'gpu,big ram'})).toThrow(
			/CCFLEET_HOST_LABELS has "big ram"/,
		);
		// Alone, the same variables are read plainly: nothing but a pin's refusal depends on them.
		const alone = loadConfig({CCFLEET_HOME: '/tmp/x', CCFLEET_HOST_ID: 'a b', CCFLEET_HOST_LABELS: 'gpu,gpu'});
		expect(alone.shared).toBeUndefined();
		expect(alone.host).toEqual({id: 'a b', labels: ['gpu']});
	});

	it('runs 300 tasks submitted over three daemons exactly once each, on more than one host', async () => {
		const url = await postgres().createDatabase();
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-multi-project-'));
		cluster.onCleanup(() => rmSync(project, {recursive: true, force: true}));
		const hosts = await Promise.all(['h1', 'h2', 'h3'].map(id => startHost(id, url)));
		expect(hosts[0]!.log()).toMatch(/tasks and schedules are shared with every host on this PostgreSQL database/);
		const clients = await Promise.all(hosts.map(host => client(host)));
		const pool = await database(url);
		const started = performance.now();
		const ids = await submitSpread(clients, 300, i => `task ${i}`, project);
		expect(new Set(ids).size).toBe(300);
		await waitFor('every task to complete', async () => (await statuses(pool)).filter(task => task.status === 'completed').length === 300, 90_000, 100);
		const seconds = (performance.now() - started) / 1000;
		const rows = await statuses(pool);
		expect(rows.filter(task => task.attempts !== 1)).toEqual([]);
		const claims = await claimsPerTask(pool);
		expect(ids.filter(id => claims.get(id) !== 1)).toEqual([]);
		const perHost = new Map<string, number>();
		for (const task of rows) perHost.set(task.host_id ?? '?', (perHost.get(task.host_id ?? '?') ?? 0) + 1);
		console.log(`300 tasks on three hosts in ${seconds.toFixed(1)} s:`, Object.fromEntries(perHost));
		expect([...perHost.keys()].filter(id => ['h1', 'h2', 'h3'].includes(id)).length).toBeGreaterThan(1);
		// A host's view shows a task submitted over another host's socket, as it ended wherever it ran.
		await waitFor('h3 to see the end of a task submitted on h1', async () => (await clients[2]!.call('task_status', {id: ids[0]})).task?.status === 'completed');
	}, 150_000);

	it("finishes a killed host's running tasks on the others after its lease, none run twice to the end", async () => {
		const url = await postgres().createDatabase();
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-multi-project-'));
		cluster.onCleanup(() => rmSync(project, {recursive: true, force: true}));
		// A short lease, so the test waits seconds rather than the default 15 s; beats every third of it.
		const lease = {CCFLEET_LEASE_MS: '2000'};
		// The victim starts alone, takes four tasks and is killed while it runs them.
		const victim = await startHost('k2', url, lease);
		const pool = await database(url);
		const victimClient = await client(victim);
		// claude's first start-up in a fresh config runs alone (the first-start gate); after one, workers start together.
		const [warmUp] = await submitSpread([victimClient], 1, () => 'warm up', project);
		await waitFor('the warm-up task to complete', async () => (await statuses(pool)).find(task => task.id === warmUp)?.status === 'completed');
		// Long enough that all four run at once on a loaded machine (at 5 s the first could end before the fourth started).
		const first = await submitSpread([victimClient], 4, i => `task ${i} [[fake:sleep=9]]`, project);
		await waitFor('k2 to run four tasks', async () => (await statuses(pool)).filter(task => task.status === 'running' && task.host_id === 'k2').length === 4, 30_000);
		const corePid = (JSON.parse(readFileSync(path.join(victim.env.CCFLEET_HOME!, 'ccfleet.lock'), 'utf8')) as {pid: number}).pid;
		process.kill(corePid, 'SIGKILL');
		if (corePid !== victim.child.pid) victim.child.kill('SIGKILL');
		const onVictim = (await statuses(pool)).filter(task => task.host_id === 'k2' && task.status === 'running').map(task => task.id);
		expect(onVictim.sort()).toEqual([...first].sort());
		// Its workers outlive it (their terminal's owner is gone); they can no longer write anything, but are ended here.
		cluster.onCleanup(() => {
			for (const id of onVictim) for (const pid of processesOfTask(id)) process.kill(pid, 'SIGKILL');
		});
		// The others join after the kill, and more tasks come; they take the victim's tasks once its lease ran out.
		const others = await Promise.all(['k1', 'k3'].map(id => startHost(id, url, lease)));
		const rest = await submitSpread(await Promise.all(others.map(host => client(host))), 8, i => `task ${i + 4} [[fake:sleep=1]]`, project);
		const ids = [...first, ...rest];
		await waitFor('every task to complete', async () => (await statuses(pool)).every(task => task.status === 'completed'), 60_000, 100);
		const rows = new Map((await statuses(pool)).map(task => [task.id, task]));
		expect(rows.size).toBe(13);
		const claims = await claimsPerTask(pool);
		for (const id of ids) {
			const taken = onVictim.includes(id);
			expect(claims.get(id), id).toBe(taken ? 2 : 1);
			expect(rows.get(id)!.attempts, id).toBe(taken ? 2 : 1);
			if (taken) expect(['k1', 'k3']).toContain(rows.get(id)!.host_id);
		}
		const expired = await pool.query<{task_id: string}>("SELECT task_id FROM task_claims WHERE event = 'lease-expired' AND host_id = 'k2'");
		expect(expired.rows.map(row => row.task_id).sort()).toEqual([...onVictim].sort());
	}, 120_000);
});
