/**
 * A throwaway PostgreSQL for one test file: a fresh cluster in a temporary directory (a copy of one initdb made once per
 * machine, see templateCluster), the server on a Unix socket in it (and
 * on 127.0.0.1 at a free port when asked), fsync off, stopped and removed at the end even when a test fails.
 * PostgreSQL refuses to run as root, so as root the server runs as Debian's `postgres` user in a directory it owns.
 *
 * Authentication (pg_hba.conf): the superuser `postgres` is trusted; any other role needs its password (scram), so a
 * test can meet a wrong password. `usePostgres()` wires start and stop into the file's beforeAll/afterAll.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll} from 'vitest';

export type PostgresServer = {
	/** The superuser's URL on the Unix socket, database `postgres`. */
	readonly url: string;
	/** The same over TCP on 127.0.0.1, when started with `tcp`. */
	readonly tcpUrl: string | undefined;
	readonly socketDir: string;
	readonly port: number;
	/** Milliseconds from the start (the copy of the cluster, or initdb the first time) to the first accepted connection. */
	readonly startupMs: number;
	/** A fresh empty database; returns its URL on the socket. */
	createDatabase(name?: string): Promise<string>;
	/** Runs one statement as the superuser on the `postgres` database. */
	query(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
	/** Stops the server (fast shutdown) and removes its directory. Idempotent. */
	stop(): Promise<void>;
};

const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
let databases = 0;

/** Registers a server for this test file: started before its tests, stopped after them. */
export function usePostgres(options: {tcp?: boolean} = {}): () => PostgresServer {
	let server: PostgresServer | undefined;
	beforeAll(async () => {
		server = await startPostgres(options);
	});
	afterAll(async () => {
		await server?.stop();
	});
	return () => {
		if (!server) throw new Error('The PostgreSQL server is not started yet: call the getter inside a test or hook, after beforeAll.');
		return server;
	};
}

export async function startPostgres(options: {tcp?: boolean} = {}): Promise<PostgresServer> {
	const started = performance.now();
	const bin = findBinaries();
	const owner = serverOwner();
	sweepStale(scratchRoot());
	const dir = fs.mkdtempSync(path.join(scratchRoot(), 'ccfleet-pg-'));
	const dataDir = path.join(dir, 'data');
	if (owner) fs.chownSync(dir, owner.uid, owner.gid);
	let child: ChildProcess | undefined;
	// A test process that dies without afterAll (a crash, a kill) still takes its server down with it.
	const onExit = () => {
		child?.kill('SIGQUIT');
		fs.rmSync(dir, {recursive: true, force: true});
	};
	process.once('exit', onExit);
	try {
		const template = templateCluster(bin, owner);
		const copy = spawnSync('cp', ['-a', template, dataDir], {encoding: 'utf8', ...(owner ?? {})});
		if (copy.status !== 0) throw new Error(`Could not copy the initialised cluster ${template} to ${dataDir}: ${copy.error?.message ?? copy.stderr}`);
		fs.writeFileSync(
			path.join(dataDir, 'pg_hba.conf'),
			[`local all ${SUPERUSER} trust`, 'local all all scram-sha-256', `host all ${SUPERUSER} 127.0.0.1/32 trust`, 'host all all 127.0.0.1/32 scram-sha-256', ''].join(
				'\n',
			),
		);
		const port = options.tcp ? await freePort() : 5432;
		const settings = {
			listen_addresses: options.tcp ? '127.0.0.1' : '',
			port: String(port),
			unix_socket_directories: dir,
			fsync: 'off',
			synchronous_commit: 'off',
			full_page_writes: 'off',
			max_connections: '100',
			shared_buffers: '32MB',
			lc_messages: 'C',
		};
		child = spawn(path.join(bin, 'postgres'), ['-D', dataDir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])], {
			stdio: ['ignore', 'ignore', 'pipe'],
			env: serverEnv(),
			...(owner ?? {}),
		});
		await ready(child);
		const url = `postgres://${SUPERUSER}@/postgres?host=${encodeURIComponent(dir)}&port=${port}`;
		const startupMs = performance.now() - started;
		const server = child;
		let stopped: Promise<void> | undefined;
		return {
			url,
			tcpUrl: options.tcp ? `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres` : undefined,
			socketDir: dir,
			port,
			startupMs,
			async createDatabase(name = `test_${process.pid}_${++databases}`) {
				await superuserQuery(url, `CREATE DATABASE ${name}`);
				return `postgres://${SUPERUSER}@/${name}?host=${encodeURIComponent(dir)}&port=${port}`;
			},
			query: (sql, values) => superuserQuery(url, sql, values),
			stop() {
				stopped ??= stopServer(server).finally(() => {
					process.removeListener('exit', onExit);
					fs.rmSync(dir, {recursive: true, force: true});
				});
				return stopped;
			},
		};
	} catch (error) {
		if (child) await stopServer(child);
		process.removeListener('exit', onExit);
		fs.rmSync(dir, {recursive: true, force: true});
		throw error;
	}
}

/** A cluster directory this old with no server in it was left by a test process that was killed (SIGKILL skips every cleanup). */
const STALE_AFTER_MS = 10 * 60_000;

/** Removes clusters that killed test processes left behind, so /dev/shm does not fill up run after run. */
function sweepStale(root: string): void {
	for (const name of fs.readdirSync(root)) {
		if (!name.startsWith('ccfleet-pg-') || name.startsWith('ccfleet-pg-template-')) continue;
		const dir = path.join(root, name);
		try {
			const isOld = Date.now() - fs.statSync(dir).mtimeMs > STALE_AFTER_MS;
			// A running server keeps postmaster.pid in its data directory.
			if (isOld && !fs.existsSync(path.join(dir, 'data', 'postmaster.pid'))) fs.rmSync(dir, {recursive: true, force: true});
		} catch {
			// Another test file removed it meanwhile, or it is not ours to read: leave it.
		}
	}
}

/** Room a cluster needs where it lives: its files (about 40 MB), WAL segments of 16 MB, the tests' rows. */
const SCRATCH_MIN_BYTES = 512 * 1024 ** 2;

/**
 * Where clusters live: /dev/shm (memory) when it has room, since copying and writing a cluster there is ten times
 * quicker than on this machine's disk (72 ms against 800 ms for the copy, measured under load); else the temporary
 * directory. A container's /dev/shm is often 64 MB, too small, hence the check.
 */
function scratchRoot(): string {
	try {
		const stats = fs.statfsSync('/dev/shm');
		if (stats.bavail * stats.bsize >= SCRATCH_MIN_BYTES) {
			fs.accessSync('/dev/shm', fs.constants.W_OK);
			return '/dev/shm';
		}
	} catch {
		// No /dev/shm (not Linux) or not writable: the temporary directory serves.
	}
	return os.tmpdir();
}

/**
 * An initialised, never started cluster to copy (cp -a takes a fifth of initdb's time, which is most of a start):
 * made once per machine, PostgreSQL version and user, where clusters live. Made under a name of its own and
 * renamed into place, so test files starting at once never see half of one.
 */
function templateCluster(bin: string, owner: {uid: number; gid: number} | undefined): string {
	const version = spawnSync(path.join(bin, 'initdb'), ['--version'], {encoding: 'utf8'})
		.stdout.trim()
		.replace(/[^\w.]+/g, '-');
	const template = path.join(scratchRoot(), `ccfleet-pg-template-${version}-${owner?.uid ?? process.getuid?.() ?? 'user'}`);
	if (fs.existsSync(path.join(template, 'PG_VERSION'))) return template;
	const building = `${template}.${process.pid}.${Date.now()}`;
	const init = spawnSync(path.join(bin, 'initdb'), ['-D', building, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], {
		encoding: 'utf8',
		env: serverEnv(),
		...(owner ?? {}),
	});
	if (init.status !== 0) {
		fs.rmSync(building, {recursive: true, force: true});
		throw new Error(`initdb failed (${init.error?.message ?? `exit ${init.status}`}): ${init.stderr}`);
	}
	try {
		fs.renameSync(building, template);
	} catch {
		// Another test file made it first; theirs is as good.
		fs.rmSync(building, {recursive: true, force: true});
	}
	return template;
}

/** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<major>/bin), else initdb on the PATH. */
function findBinaries(): string {
	const root = '/usr/lib/postgresql';
	const majors = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	for (const major of majors) {
		const bin = path.join(root, major, 'bin');
		if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'))) return bin;
	}
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
	}
	throw new Error(
		'No PostgreSQL server is installed (no /usr/lib/postgresql/*/bin/initdb, no initdb on the PATH). The PostgreSQL store tests start one of their own: ' +
			'install it with `apt-get install postgresql` (Debian, Ubuntu) and run the tests again.',
	);
}

/** As root, the `postgres` user the server must run as; otherwise undefined (it runs as the current user). */
function serverOwner(): {uid: number; gid: number} | undefined {
	if (process.getuid?.() !== 0) return undefined;
	const line = fs
		.readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find(entry => entry.startsWith(`${SUPERUSER}:`));
	const [, , uid, gid] = line?.split(':') ?? [];
	if (uid === undefined || gid === undefined) {
		throw new Error(
			'The tests run as root, and PostgreSQL refuses to run as root, but there is no `postgres` user to run it as. ' +
				'`apt-get install postgresql` creates it (or run the tests as an ordinary user).',
		);
	}
	return {uid: Number(uid), gid: Number(gid)};
}

function serverEnv(): NodeJS.ProcessEnv {
	return {PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C'};
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const {port} = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

/** Resolves once the server logs that it accepts connections; rejects with its log when it exits first. */
function ready(child: ChildProcess): Promise<void> {
	return new Promise((resolve, reject) => {
		let log = '';
		const timer = setTimeout(() => fail(new Error(`PostgreSQL did not become ready within ${READY_TIMEOUT_MS} ms. Its log:\n${log}`)), READY_TIMEOUT_MS);
		const onData = (chunk: Buffer) => {
			log += chunk.toString();
			if (log.includes('database system is ready to accept connections')) done();
		};
		const onExit = (code: number | null, signal: string | null) =>
			fail(new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) before it was ready. Its log:\n${log}`));
		const cleanup = () => {
			clearTimeout(timer);
			child.removeListener('exit', onExit);
			// Keep draining the log, so a full pipe never blocks the server.
			child.stderr?.removeListener('data', onData);
			child.stderr?.resume();
		};
		const done = () => {
			cleanup();
			resolve();
		};
		const fail = (error: Error) => {
			cleanup();
			reject(error);
		};
		child.stderr?.on('data', onData);
		child.once('exit', onExit);
	});
}

async function stopServer(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	// SIGINT is PostgreSQL's fast shutdown: it ends sessions and exits without waiting for clients.
	child.kill('SIGINT');
	const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
	await exited;
	clearTimeout(timer);
}

async function superuserQuery(url: string, sql: string, values?: unknown[]): Promise<pg.QueryResult> {
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		return await client.query(sql, values);
	} finally {
		await client.end();
	}
}
