// One daemon per host id: a second one started under the same id is refused at its start, naming what to do; a lock
// left by a session whose host no longer heartbeats (the server has not yet seen it die) is taken over; and after its
// listening session is killed, a host holds its id again.
import type pg from 'pg';
import {expect, it} from 'vitest';
import {openSession} from '../../../source/adapters/postgres/connection.js';
import {HOST_LOCK_NAMESPACE, HostIdInUseError} from '../../../source/adapters/postgres/host-identity.js';
import {openSharedTasks, type SharedTasks} from '../../../source/adapters/postgres/task-coordinator.js';
import {silentLogger} from '../../../source/core/ports/logger.js';
import {useMigratedDatabase} from '../../helpers/postgres-database.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let admin: pg.Pool;
const cleanups = useMigratedDatabase(server, database => ({url, admin} = database));

async function host(hostId: string): Promise<SharedTasks> {
	const shared = await openSharedTasks(url, {hostId, leaseMs: 2_000, logger: silentLogger, onRemoteChange: () => {}});
	cleanups.push(() => shared.close());
	return shared;
}

/** The backends holding host ids' locks, by host id. */
async function holders(): Promise<Map<string, number>> {
	const {rows} = await admin.query<{id: string; pid: number}>(
		`SELECT h.id, l.pid FROM pg_locks l JOIN hosts h ON l.objid = hashtext(h.id)::oid
		 WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objsubid = 2 AND l.granted`,
		[HOST_LOCK_NAMESPACE],
	);
	return new Map(rows.map(row => [row.id, row.pid]));
}

it('refuses a second daemon under a host id a live daemon holds, and says what to do', async () => {
	const alpha = await host('alpha');
	await alpha.coordinator.heartbeat();
	const second = openSharedTasks(url, {hostId: 'alpha', leaseMs: 2_000, logger: silentLogger, onRemoteChange: () => {}});
	await expect(second).rejects.toThrow(HostIdInUseError);
	await expect(second).rejects.toThrow(/Another ccfleet daemon runs as host "alpha".*Give this host an id of its own \(CCFLEET_HOST_ID/);
	// Another id is welcome, and the first host still holds its own.
	const beta = await host('beta');
	await beta.coordinator.heartbeat();
	expect([...(await holders()).keys()].sort()).toEqual(['alpha', 'beta']);
});

it('takes over the lock of a session whose host stopped heartbeating (a daemon gone, its session not yet ended)', async () => {
	await admin.query("INSERT INTO hosts (id, labels, heartbeat_at) VALUES ('alpha', '{}', now() - interval '1 minute')");
	const lingering = await openSession(url, 'lingering');
	cleanups.push(() => lingering.end().catch(() => {}));
	lingering.on('error', () => {});
	await lingering.query('SELECT pg_advisory_lock($1, hashtext($2))', [HOST_LOCK_NAMESPACE, 'alpha']);
	const alpha = await host('alpha');
	await alpha.coordinator.heartbeat();
	const {rows} = await admin.query<{pid: number}>("SELECT pid FROM pg_stat_activity WHERE application_name = 'ccfleet listener alpha'");
	expect((await holders()).get('alpha')).toBe(rows[0]!.pid);
});

it('holds its id again after its listening session is killed', async () => {
	const alpha = await host('alpha');
	await alpha.coordinator.heartbeat();
	const before = (await holders()).get('alpha');
	await admin.query('SELECT pg_terminate_backend($1)', [before]);
	await waitFor('alpha to hold its id on a new session', async () => {
		const pid = (await holders()).get('alpha');
		return pid !== undefined && pid !== before;
	});
	await expect(openSharedTasks(url, {hostId: 'alpha', leaseMs: 2_000, logger: silentLogger, onRemoteChange: () => {}})).rejects.toThrow(HostIdInUseError);
});
