// `npx tsx bench/multi-host-throughput.ts [tasks]`: what several hosts on one PostgreSQL give and cost at the level a
// user pays, beside one host on its own SQLite with the same settings. Real `ccfleet --daemon` processes (as the
// multi-host e2e test starts them: 4 workers each, no stagger, CPU and memory admission off) on the fake claude, with
// a throwaway PostgreSQL (test/helpers/postgres-server.ts: needs `apt-get install postgresql`). Printed, not asserted.
//  1. a burst: `tasks` (default 300) submitted over the hosts' sockets, spread over them, 30 at a time: throughput
//     from the first task's creation to the last one's end (all hosts), create → start of each task (mostly time in
//     the queue), each daemon's own CPU (core and its process spawner, user + sys, not the workers') per 100 tasks,
//     and PostgreSQL's;
//  2. paced: PACED tasks, one every PACE_MS, while slots are free: create → start is the claim latency proper (heard,
//     claimed, started); on PostgreSQL also create → claimed (the claim's row in task_claims).
// Every host runs on this one machine: more hosts add worker slots, not cores. Times come from the tasks' own rows.
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import {openPool} from '../source/adapters/postgres/connection.js';
import type {FleetClient} from '../source/cli/client.js';
import {fleetHosts, type Host} from '../test/helpers/fleet-hosts.js';
import {startPostgres, type PostgresServer} from '../test/helpers/postgres-server.js';
import {waitFor} from '../test/helpers/wait-for.js';

const TASKS = Number(process.argv[2] ?? 300);
if (!Number.isInteger(TASKS) || TASKS < 1) throw new TypeError(`The number of tasks is "${process.argv[2]}"; give a whole number of at least 1 (default 300).`);
const PACED = 40;
const PACE_MS = 100;
const BATCH = 30;
/** What every daemon runs with, on both stores (fleetHosts' own defaults, said here so that the table can say them). */
const SETTINGS = {CCFLEET_MAX_WORKERS: '4', CCFLEET_STAGGER_MS: '0', CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'};
/** Linux counts CPU time in clock ticks of 10 ms (USER_HZ 100). */
const TICK_MS = 10;

type Row = {id: string; status: string; createdAt: number; startedAt: number | null; endedAt: number | null; host: string | null};
type Store = {
	label: string;
	hosts: number;
	url: string | undefined;
	/** Every task's row, and on PostgreSQL when each was claimed (task id → epoch ms). */
	read(hosts: Host[]): Promise<{rows: Row[]; claimedAt: Map<string, number>}>;
	/** CPU ms the database's processes used so far; undefined on SQLite (it runs inside the core). */
	databaseCpuMs(): number | undefined;
};
type Result = {
	label: string;
	perSecond: number;
	burst: number[];
	paced: number[];
	claimed: number[];
	coreCpu: number[];
	databaseCpu: number | undefined;
	perHost: string;
	failed: number;
};

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function p50p95(values: number[]): string {
	if (values.length === 0) return '–';
	const sorted = [...values].sort((a, b) => a - b);
	return `${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 95).toFixed(0)} ms`;
}

/** utime + stime of one process, in ms; 0 once it is gone. `withReaped` adds its waited-for children's (cutime + cstime). */
function cpuMs(pid: number, withReaped = false): number {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
			.replace(/^.*\) /s, '')
			.split(' ');
		const own = Number(fields[11]) + Number(fields[12]);
		return (own + (withReaped ? Number(fields[13]) + Number(fields[14]) : 0)) * TICK_MS;
	} catch {
		return 0;
	}
}

function childrenOf(pid: number): number[] {
	try {
		return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

/** A daemon's own CPU: the core and its node children (the process spawner), not the workers it starts. */
function daemonCpuMs(host: Host): number {
	const pid = host.child.pid!;
	const spawners = childrenOf(pid).filter(child => readFileSync(`/proc/${child}/stat`, 'utf8').includes('(node)'));
	return cpuMs(pid) + spawners.reduce((sum, child) => sum + cpuMs(child), 0);
}

function postgresStore(server: PostgresServer, hosts: number, url: string, pool: pg.Pool): Store {
	const postmaster = Number(readFileSync(path.join(server.socketDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
	return {
		label: `PostgreSQL, ${hosts} host${hosts > 1 ? 's' : ''}`,
		hosts,
		url,
		async read() {
			const tasks = await pool.query<{id: string; status: string; created_at: number; started_at: number | null; ended_at: number | null; host_id: string | null}>(
				'SELECT id, status, created_at, started_at, ended_at, host_id FROM tasks',
			);
			const claims = await pool.query<{task_id: string; at: number}>(
				"SELECT task_id, min(extract(epoch from at) * 1000)::double precision AS at FROM task_claims WHERE event = 'claimed' GROUP BY task_id",
			);
			return {
				rows: tasks.rows.map(row => ({
					id: row.id,
					status: row.status,
					createdAt: row.created_at,
					startedAt: row.started_at,
					endedAt: row.ended_at,
					host: row.host_id,
				})),
				claimedAt: new Map(claims.rows.map(row => [row.task_id, row.at])),
			};
		},
		// The server and its backends, the ended ones included (the server waited for them).
		databaseCpuMs: () => cpuMs(postmaster, true) + childrenOf(postmaster).reduce((sum, child) => sum + cpuMs(child), 0),
	};
}

const sqliteStore: Store = {
	label: 'SQLite, 1 host',
	hosts: 1,
	url: undefined,
	async read([host]) {
		const db = new Database(path.join(host!.env.CCFLEET_HOME!, 'ccfleet.db'), {readonly: true, fileMustExist: true});
		try {
			const rows = db.prepare('SELECT id, status, created_at AS createdAt, started_at AS startedAt, ended_at AS endedAt FROM tasks').all() as Row[];
			return {rows: rows.map(row => ({...row, host: host!.id})), claimedAt: new Map()};
		} finally {
			db.close();
		}
	},
	databaseCpuMs: () => undefined,
};

async function submit(clients: FleetClient[], from: number, count: number, cwd: string): Promise<string[]> {
	const ids: string[] = [];
	for (let i = from; i < from + count; i += BATCH) {
		const batch = Array.from({length: Math.min(BATCH, from + count - i)}, (_, j) =>
			clients[(i + j) % clients.length]!.call('delegate_task', {prompt: `bench ${i + j}`, cwd}),
		);
		ids.push(...(await Promise.all(batch)).map(result => result.task.id));
	}
	return ids;
}

async function untilEnded(store: Store, hosts: Host[], ids: string[]): Promise<Row[]> {
	const wanted = new Set(ids);
	return waitFor(
		`${ids.length} tasks to end (${store.label})`,
		async () => {
			const {rows} = await store.read(hosts);
			const ours = rows.filter(row => wanted.has(row.id) && row.endedAt !== null);
			return ours.length === wanted.size ? ours : undefined;
		},
		300_000,
		100,
	);
}

async function scenario(store: Store, cwd: string): Promise<Result> {
	const cluster = fleetHosts('bench');
	try {
		// An empty CCFLEET_DATABASE_URL keeps a host on its own SQLite.
		const hosts = await Promise.all(Array.from({length: store.hosts}, (_, i) => cluster.startHost(`h${i + 1}`, store.url ?? '', SETTINGS)));
		const clients = await Promise.all(hosts.map(host => cluster.client(host)));
		const cpuBefore = hosts.map(host => daemonCpuMs(host));
		const databaseBefore = store.databaseCpuMs();
		const burstIds = await submit(clients, 0, TASKS, cwd);
		const burst = await untilEnded(store, hosts, burstIds);
		const coreCpu = hosts.map((host, i) => ((daemonCpuMs(host) - cpuBefore[i]!) * 100) / TASKS);
		const databaseAfter = store.databaseCpuMs();
		const firstCreated = Math.min(...burst.map(row => row.createdAt));
		const lastEnded = Math.max(...burst.map(row => row.endedAt!));
		const pacedIds: string[] = [];
		for (let i = 0; i < PACED; i++) {
			pacedIds.push(...(await submit([clients[i % clients.length]!], TASKS + i, 1, cwd)));
			await new Promise(resolve => setTimeout(resolve, PACE_MS));
		}
		const paced = await untilEnded(store, hosts, pacedIds);
		const {claimedAt} = await store.read(hosts);
		const perHost = new Map<string, number>();
		for (const row of burst) perHost.set(row.host ?? '?', (perHost.get(row.host ?? '?') ?? 0) + 1);
		return {
			label: store.label,
			perSecond: TASKS / ((lastEnded - firstCreated) / 1000),
			burst: burst.map(row => row.startedAt! - row.createdAt),
			paced: paced.map(row => row.startedAt! - row.createdAt),
			claimed: paced.filter(row => claimedAt.has(row.id)).map(row => claimedAt.get(row.id)! - row.createdAt),
			coreCpu,
			databaseCpu: databaseBefore === undefined || databaseAfter === undefined ? undefined : ((databaseAfter - databaseBefore) * 100) / TASKS,
			perHost: hosts.map(host => perHost.get(host.id) ?? 0).join(' / '),
			failed: [...burst, ...paced].filter(row => row.status !== 'completed').length,
		};
	} finally {
		await cluster.cleanup();
	}
}

function table(results: Result[]): void {
	const header = [
		'',
		'tasks/s',
		'burst: create→start p50 / p95',
		`paced: create→start`,
		'paced: create→claimed',
		'daemon CPU ms / 100 tasks',
		'PostgreSQL CPU ms / 100',
		'tasks per host',
	];
	const lines = results.map(result => [
		result.label,
		result.perSecond.toFixed(1),
		p50p95(result.burst),
		p50p95(result.paced),
		p50p95(result.claimed),
		result.coreCpu.map(ms => ms.toFixed(0)).join(' / ') + (result.coreCpu.length > 1 ? ` (${result.coreCpu.reduce((sum, ms) => sum + ms, 0).toFixed(0)} together)` : ''),
		result.databaseCpu === undefined ? '–' : result.databaseCpu.toFixed(0),
		result.perHost + (result.failed > 0 ? ` (${result.failed} not completed)` : ''),
	]);
	const widths = header.map((title, column) => Math.max(title.length, ...lines.map(line => line[column]!.length)));
	for (const line of [header, ...lines]) console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

/** Whether bin/ccfleet.js runs the dist/ build (it does when the build is at least as new as every source file). */
function isBuildCurrent(): boolean {
	const root = fileURLToPath(new URL('..', import.meta.url));
	const newest = (directory: string): number =>
		Math.max(
			...readdirSync(directory, {withFileTypes: true}).map(entry =>
				entry.isDirectory() ? newest(path.join(directory, entry.name)) : statSync(path.join(directory, entry.name)).mtimeMs,
			),
		);
	const stamp = path.join(root, 'dist', '.build-stamp');
	return existsSync(stamp) && statSync(stamp).mtimeMs >= newest(path.join(root, 'source'));
}

const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
const server = await startPostgres();
try {
	console.log(
		`${TASKS} tasks in a burst, then ${PACED} paced one every ${PACE_MS} ms; each daemon ${SETTINGS.CCFLEET_MAX_WORKERS} workers, no stagger, ` +
			`CPU and memory admission off; fake claude; load average ${os.loadavg()[0]!.toFixed(1)} at start on ${os.cpus().length} cores`,
	);
	const results: Result[] = [];
	for (const hosts of [1, 2, 3]) {
		const url = await server.createDatabase(`bench_${process.pid}_${hosts}`);
		const pool = await openPool(url, {max: 2});
		try {
			results.push(await scenario(postgresStore(server, hosts, url, pool), cwd));
		} finally {
			await pool.end();
		}
	}
	results.push(await scenario(sqliteStore, cwd));
	table(results);
	console.log(
		`the daemons ran ${isBuildCurrent() ? 'the dist/ build' : 'the TypeScript sources through tsx (dist/ is older than source/; `npm run build` first for the build)'}`,
	);
	console.log(`load average ${os.loadavg()[0]!.toFixed(1)} at the end`);
} finally {
	await server.stop();
	rmSync(cwd, {recursive: true, force: true});
}
