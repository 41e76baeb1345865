import type {SharedSettings} from '../config.js';
import type {HostIdentity} from '../core/fleet/placement.js';
import {openPool, redact} from '../adapters/postgres/connection.js';
import {schemaVersion} from '../adapters/postgres/migrations.js';
import {PG_MIGRATIONS} from '../adapters/postgres/schema.js';
import {DEFAULT_LEASE_MS, TaskClaims, type HostRecord} from '../adapters/postgres/task-claims.js';
import {isLiveHost} from '../core/fleet/placement.js';
import type {CheckResult} from './doctor-command.js';
import {roughDuration} from './inbox-command.js';

/**
 * `ccfleet doctor` on a shared fleet: the PostgreSQL database CCFLEET_DATABASE_URL names instead of the SQLite file —
 * reachable, its schema one this build knows, and the hosts it knows, with this host among them (its id, and whether a
 * daemon runs under it now).
 */
export async function checkSharedDatabase(shared: SharedSettings, thisHost: HostIdentity, now = Date.now()): Promise<CheckResult> {
	const where = redact(shared.databaseUrl);
	let pool;
	try {
		pool = await openPool(shared.databaseUrl, {applicationName: `ccfleet doctor ${thisHost.id}`, max: 1});
	} catch (error) {
		return {
			name: 'database',
			status: 'fail',
			detail: (error as Error).message,
			next: 'Fix CCFLEET_DATABASE_URL or the server as the line above says; unset it to run this host alone on SQLite.',
		};
	}
	try {
		const version = await schemaVersion(pool);
		const known = PG_MIGRATIONS.at(-1)!.version;
		if (version > known) {
			return {
				name: 'database',
				status: 'fail',
				detail: `${where} is at schema version ${version}, newer than this ccfleet knows (${known}): a newer ccfleet runs on it`,
				next: 'Update ccfleet on this host to the version the other hosts run.',
			};
		}
		const leaseMs = shared.leaseMs ?? DEFAULT_LEASE_MS;
		const hosts = version === 0 ? [] : await new TaskClaims(pool, {hostId: thisHost.id, leaseMs}).hosts();
		const live = (host: HostRecord) => isLiveHost(host, now, leaseMs);
		const described = hosts.map(
			host => `${host.id}${host.id === thisHost.id ? ' (this host)' : ''} ${live(host) ? 'live' : `down ${roughDuration(now - (host.stoppedAt ?? host.heartbeatAt))}`}`,
		);
		const schema = version === 0 ? 'no tables yet (the first daemon to start makes them)' : `schema version ${version}`;
		const detail = `${where}: ${schema}; this host is "${thisHost.id}"${thisHost.labels.length ? ` (labels ${thisHost.labels.join(', ')})` : ''}; hosts: ${described.join(', ') || 'none yet'}`;
		return {name: 'database', status: 'ok', detail};
	} catch (error) {
		return {
			name: 'database',
			status: 'fail',
			detail: `${where} answered, but reading it failed: ${(error as Error).message}`,
			next: 'Check that the role in CCFLEET_DATABASE_URL owns the database (or may read its tables).',
		};
	} finally {
		await pool.end().catch(() => {});
	}
}
