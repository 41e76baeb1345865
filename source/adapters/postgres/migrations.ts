import type pg from 'pg';
import {FleetError} from '../../core/domain/errors.js';
import type {Migration} from '../sqlite/migrations.js';
import {PG_MIGRATIONS} from './schema.js';

/**
 * Advisory-lock keys (two int4: a namespace and an id), one place for all, so that no two uses collide. The namespace
 * is 'ccf1' in ASCII: another application's advisory locks on the same database are unlikely to pick it.
 */
export const LOCK_NAMESPACE = 0x63636631;
export const LOCK_IDS = {migrations: 1, schedulerLeader: 2} as const;

/** The schema version this build writes. */
export const LATEST_PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** The database was brought to a newer schema by a newer ccfleet; this one must not write to it. */
export class PostgresSchemaTooNewError extends FleetError {
	constructor(
		readonly found: number,
		readonly known: number,
	) {
		super(
			`The shared ccfleet database has schema version ${found}, but this ccfleet knows only up to version ${known}: another host runs a newer ccfleet. ` +
				'Upgrade ccfleet on this host (npm install -g ccfleet@latest) before it joins the fleet.',
		);
	}
}

/**
 * Brings the database to the newest schema and returns the version it ends at. Everything happens in one transaction
 * under a transaction-scoped advisory lock: hosts that start together wait for each other, and the later ones find the
 * work done. A failing migration changes nothing (PostgreSQL's DDL is transactional). Throws PostgresSchemaTooNewError,
 * changing nothing, when another host's newer ccfleet has migrated past what this one knows.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number> {
	for (const [index, migration] of migrations.entries()) {
		if (migration.version !== index + 1) {
			throw new Error(`Migration #${index + 1} ("${migration.description}") has version ${migration.version}; versions must be 1, 2, 3… in order.`);
		}
	}
	const client = await pool.connect();
	try {
		await client.query('BEGIN');
		await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCK_IDS.migrations]);
		await client.query(`
			CREATE TABLE IF NOT EXISTS schema_migrations (
				version integer PRIMARY KEY,
				description text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now()
			)`);
		const current = await currentVersion(client);
		if (current > migrations.length) throw new PostgresSchemaTooNewError(current, migrations.length);
		for (const migration of migrations.slice(current)) {
			await client.query(migration.sql);
			await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
		}
		await client.query('COMMIT');
		return Math.max(current, migrations.length);
	} catch (error) {
		await client.query('ROLLBACK').catch(() => {});
		throw error;
	} finally {
		client.release();
	}
}

/** The newest migration applied, 0 for a database ccfleet has not touched. */
export async function schemaVersion(pool: pg.Pool | pg.PoolClient): Promise<number> {
	const {rows} = await pool.query<{exists: boolean}>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
	return rows[0]?.exists ? currentVersion(pool) : 0;
}

async function currentVersion(client: pg.Pool | pg.PoolClient): Promise<number> {
	const {rows} = await client.query<{version: number | null}>('SELECT max(version) AS version FROM schema_migrations');
	return rows[0]?.version ?? 0;
}
