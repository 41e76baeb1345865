import type pg from 'pg';
import {FleetError} from '../../core/domain/errors.js';
import {LOCK_NAMESPACE} from './migrations.js';

/** Advisory locks on host ids live in a namespace of their own, beside the fixed ids of LOCK_IDS. */
export const HOST_LOCK_NAMESPACE = LOCK_NAMESPACE + 1;

/** Two daemons were started under one host id: they would take each other's tasks for their own. */
export class HostIdInUseError extends FleetError {
	constructor(hostId: string) {
		super(
			`Another ccfleet daemon runs as host "${hostId}" on this database (it heartbeats). Give this host an id of its own ` +
				`(CCFLEET_HOST_ID; the default is the machine's hostname), or stop the other daemon first.`,
		);
	}
}

/**
 * Holds a host id for the life of a session (the host's listening session), by a session-level advisory lock on it, so
 * that a second daemon started under the same id is refused at its start. A lock held by no live daemon — a session
 * the server has not yet seen die after a network cut, whose host no longer heartbeats — is ended and taken over.
 * After a reconnect the lock is taken again if it can be; if not, the host goes on listening and says so.
 */
export function holdHostIdentity(hostId: string, leaseMs: number, warn: (message: string) => void): (session: pg.Client, isFirst: boolean) => Promise<void> {
	return async (session, isFirst) => {
		if (await tryLock(session, hostId)) return;
		// Someone holds it. A daemon that lives heartbeats within its lease; a session left from a dead one does not.
		const {rows} = await session.query<{fresh: boolean}>(
			'SELECT heartbeat_at > now() - make_interval(secs => $2 / 1000.0) AND stopped_at IS NULL AS fresh FROM hosts WHERE id = $1',
			[hostId, leaseMs],
		);
		const isLive = rows[0]?.fresh === true;
		if (!isLive) {
			await session.query(
				`SELECT pg_terminate_backend(l.pid) FROM pg_locks l
				 WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = hashtext($2)::oid AND l.objsubid = 2 AND l.pid <> pg_backend_pid()`,
				[HOST_LOCK_NAMESPACE, hostId],
			);
			if (await waitForLock(session, hostId)) return;
		}
		if (isFirst) throw new HostIdInUseError(hostId);
		warn(`could not take host "${hostId}"'s lock again after a reconnect; if another daemon runs under this id, stop it`);
	};
}

async function tryLock(session: pg.Client, hostId: string): Promise<boolean> {
	const {rows} = await session.query<{locked: boolean}>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [HOST_LOCK_NAMESPACE, hostId]);
	return rows[0]?.locked === true;
}

/** A terminated session frees its locks as its backend exits: a few tries over about a second. */
async function waitForLock(session: pg.Client, hostId: string): Promise<boolean> {
	for (let attempt = 0; attempt < 10; attempt++) {
		if (await tryLock(session, hostId)) return true;
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	return false;
}
