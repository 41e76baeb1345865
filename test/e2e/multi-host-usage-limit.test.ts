import type {ChildProcess} from 'node:child_process';
import pg from 'pg';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {afterEach, describe, expect, it} from 'vitest';
import {connectFleet, type FleetClient} from '../../source/cli/client.js';
import {loadConfig} from '../../source/config.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// One account shared by three hosts of one fleet on PostgreSQL, each with the real claude (logged in as a subscription,
// the only way claude reports a usage limit) on a mock API of its own: a limit one host meets holds the others, and the
// daily budget counts every host's spending.
const postgres = usePostgres();
const cleanups: (() => Promise<void> | void)[] = [];
const RESET_IN_S = 15;

afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Host = {id: string; sandbox: Sandbox; daemon: ChildProcess; client: FleetClient};

async function startHost(id: string, url: string, extra: Record<string, string> = {}): Promise<Host> {
	const sandbox = await createSandbox(
		{CCFLEET_DATABASE_URL: url, CCFLEET_HOST_ID: id, CCFLEET_MAX_WORKERS: '2', CCFLEET_MODE: 'headless', CCFLEET_STAGGER_MS: '0', CCFLEET_MEMORY_RESERVE: '0', ...extra},
		{auth: 'subscription'},
	);
	cleanups.push(() => sandbox.cleanup());
	const daemon = await sandbox.startDaemon();
	const client = await connectFleet(loadConfig(sandbox.env), {startDaemon: false, name: 'multi-host-usage-limit-test'});
	cleanups.push(() => client.close());
	return {id, sandbox, daemon, client};
}

async function stopHost(host: Host): Promise<void> {
	await host.client.close();
	host.daemon.kill('SIGTERM');
	await waitFor(`host ${host.id} to stop`, () => host.sandbox.corePid() === undefined, 30_000);
}

async function database(url: string): Promise<pg.Pool> {
	const pool = await openPool(url, {max: 2});
	cleanups.push(() => pool.end());
	return pool;
}

async function fleetStatus(host: Host) {
	return host.client.call('fleet_status', {});
}

async function delegate(host: Host, prompt: string): Promise<string> {
	const {stdout, stderr, exitCode} = await host.sandbox.cli(['delegate', prompt]);
	if (exitCode !== 0) throw new Error(`ccfleet delegate on ${host.id} failed: ${stderr}`);
	return stdout.trim();
}

type Row = {id: string; status: string; host_id: string | null; started_at: number | null; cost_usd: number};

async function tasks(pool: pg.Pool, ids: readonly string[]): Promise<Row[]> {
	return (await pool.query<Row>('SELECT id, status, host_id, started_at, cost_usd FROM tasks WHERE id = ANY($1)', [ids])).rows;
}

describe('one account shared by several hosts', () => {
	it('a usage limit one host meets holds every host until its reset, and each shows it; then all start again', async () => {
		const url = await postgres().createDatabase();
		const hosts = await Promise.all(['h1', 'h2', 'h3'].map(id => startHost(id, url)));
		const pool = await database(url);

		const limited = await delegate(hosts[0]!, `Limited [[usage-limit:${RESET_IN_S}]] [[reply:went on after the reset]]`);
		const noted = await waitFor('a host to note the usage limit in the shared database', async () => {
			const {rows} = await pool.query<{value: {until: number}; updated_by: string}>("SELECT value, updated_by FROM fleet_state WHERE key = 'usage-limit'");
			return rows[0];
		});
		const until = noted.value.until;
		const resetsAt = new Date(until).toISOString();
		// Every host holds with the same reset: the one whose worker met it, and the two that only heard of it.
		for (const host of hosts) {
			await waitFor(`${host.id} to hold for the usage limit`, async () => (await fleetStatus(host)).usageLimit?.resetsAt === resetsAt, 15_000);
			expect((await fleetStatus(host)).usageLimit).toMatchObject({state: 'limited', resetsAt});
			const {stdout} = await host.sandbox.cli(['status']);
			expect(stdout).toMatch(/usage limit: the 5-hour limit is reached; nothing starts until it resets at /);
		}
		expect((await tasks(pool, [limited]))[0]).toMatchObject({status: 'parked', host_id: noted.updated_by});

		// Work submitted on every host waits for the reset: no host starts it before, though each has free slots.
		const after: string[] = [];
		for (let i = 0; i < 6; i++) after.push(await delegate(hosts[i % 3]!, `After ${i} [[reply:done ${i}]]`));
		await waitFor('every task to complete', async () => (await tasks(pool, [limited, ...after])).every(task => task.status === 'completed'), 120_000, 250);
		const rows = await tasks(pool, after);
		expect(rows.filter(task => task.started_at === null || task.started_at < until)).toEqual([]);
		// Hosts other than the one that met the limit start again after it too.
		expect(new Set(rows.map(task => task.host_id)).size).toBeGreaterThan(1);
		for (const host of hosts) expect((await fleetStatus(host)).usageLimit?.state).not.toBe('limited');
	}, 240_000);

	it('a daily budget crossed by tasks that ran on two hosts holds the third', async () => {
		const url = await postgres().createDatabase();
		const [h1, h2] = await Promise.all(['h1', 'h2'].map(id => startHost(id, url, {CCFLEET_MAX_WORKERS: '1'})));
		const pool = await database(url);
		// Slow enough that one host cannot take them all: each host runs one at a time.
		const ids: string[] = [];
		for (let i = 0; i < 4; i++) ids.push(await delegate(i % 2 === 0 ? h1! : h2!, `Spend ${i} [[slow:1500]] [[reply:spent ${i}]]`));
		await waitFor('the tasks to complete', async () => (await tasks(pool, ids)).every(task => task.status === 'completed'), 120_000, 250);
		const rows = await tasks(pool, ids);
		const perHost = new Map<string, number>();
		for (const task of rows) perHost.set(task.host_id!, (perHost.get(task.host_id!) ?? 0) + task.cost_usd);
		expect([...perHost.keys()].sort()).toEqual(['h1', 'h2']);
		const total = [...perHost.values()].reduce((sum, cost) => sum + cost, 0);
		const most = Math.max(...perHost.values());
		expect(total).toBeGreaterThan(most);
		// More than either host spent, less than both together: only a fleet-wide count holds the third host.
		const budget = (most + total) / 2;
		const h3 = await startHost('h3', url, {CCFLEET_DAILY_BUDGET_USD: String(budget)});
		await stopHost(h1!);
		await stopHost(h2!);
		const held = await delegate(h3, 'Held [[reply:never]]');
		const admission = await waitFor('h3 to hold for the daily budget', async () => {
			const state = (await fleetStatus(h3)).admission;
			return state.heldByPolicy === 'daily budget' ? state : undefined;
		});
		expect(admission.spentTodayUsd).toBeCloseTo(total, 6);
		expect(admission.heldBy).toMatch(/^the daily budget of \$[\d.]+ is spent/);
		const {stdout} = await h3.sandbox.cli(['status']);
		expect(stdout).toMatch(/queue held: the daily budget of \$/);
		expect((await tasks(pool, [held]))[0]).toMatchObject({status: 'queued', started_at: null});
	}, 240_000);
});
