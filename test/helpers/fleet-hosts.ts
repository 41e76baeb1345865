import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import pg from 'pg';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {connectFleet, type FleetClient} from '../../source/cli/client.js';
import {loadConfig} from '../../source/config.js';
import {binPath} from './ccfleet-process.js';
import {waitFor} from './wait-for.js';

const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));

/** A `ccfleet --daemon` of a fleet several hosts share: its id, environment, process and what it logged so far. */
export type Host = {id: string; env: Record<string, string>; child: ChildProcess; log(): string};

/**
 * Hosts of one fleet on one PostgreSQL, each a real daemon with a home of its own, on the fake claude; every daemon,
 * client and pool made here is ended by `cleanup` (call it after each test), newest first.
 */
export function fleetHosts(name: string) {
	const cleanups: (() => Promise<void> | void)[] = [];
	return {
		cleanup: async (): Promise<void> => {
			for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
		},

		/** Something else of the test's to end with the hosts. */
		onCleanup: (cleanup: () => Promise<void> | void): void => {
			cleanups.push(cleanup);
		},

		startHost: async (id: string, url: string, extra: Record<string, string> = {}): Promise<Host> => {
			const home = mkdtempSync(path.join(os.tmpdir(), `ccfleet-${id}-`));
			cleanups.push(() => rmSync(home, {recursive: true, force: true}));
			const env: Record<string, string> = {
				...(process.env as Record<string, string>),
				CCFLEET_HOME: home,
				CCFLEET_CLAUDE_BIN: fakeClaude,
				CCFLEET_DATABASE_URL: url,
				CCFLEET_HOST_ID: id,
				CCFLEET_MAX_WORKERS: '4',
				CCFLEET_STAGGER_MS: '0',
				CCFLEET_CPU_THRESHOLD: '100',
				CCFLEET_MEMORY_RESERVE: '0',
				...extra,
			};
			const child = spawn(process.execPath, [binPath, '--daemon'], {env, stdio: ['ignore', 'ignore', 'pipe']});
			let log = '';
			child.stderr.on('data', (chunk: Buffer) => {
				log += chunk.toString();
			});
			cleanups.push(async () => {
				if (child.exitCode !== null || child.signalCode !== null) return;
				const exited = new Promise(resolve => child.once('exit', resolve));
				child.kill('SIGTERM');
				await exited;
			});
			await waitFor(`host ${id} to be ready`, () => log.includes('ccfleet daemon ready') || child.exitCode !== null, 60_000);
			if (child.exitCode !== null) throw new Error(`host ${id} exited: ${log}`);
			return {id, env, child, log: () => log};
		},

		/** A client of one host's socket. */
		client: async (host: Host): Promise<FleetClient> => {
			const fleet = await connectFleet(loadConfig(host.env), {startDaemon: false, name});
			cleanups.push(() => fleet.close());
			return fleet;
		},

		/** A pool on the shared database, for reading what the hosts wrote. */
		database: async (url: string): Promise<pg.Pool> => {
			// openPool's pool drops an idle connection the server ends instead of throwing: the server stops after each file.
			const pool = await openPool(url, {max: 2});
			cleanups.push(() => pool.end());
			return pool;
		},
	};
}
