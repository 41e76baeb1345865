import type pg from 'pg';
import {afterEach, beforeEach} from 'vitest';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {migrate} from '../../source/adapters/postgres/migrations.js';
import type {PostgresServer} from './postgres-server.js';

/** What a test of the shared store starts from: a database of its own, migrated, and a pool on it to look with. */
export type MigratedDatabase = {url: string; admin: pg.Pool};

/**
 * Before each test: a fresh database on this file's server, migrated, with an `admin` pool on it, handed to `use`;
 * after it, the returned cleanups run newest first (the admin pool last). A test adds its hosts' closing to them.
 */
export function useMigratedDatabase(server: () => PostgresServer, use: (database: MigratedDatabase) => void): Array<() => unknown> {
	const cleanups: Array<() => unknown> = [];
	beforeEach(async () => {
		const url = await server().createDatabase();
		const admin = await openPool(url, {applicationName: 'admin'});
		cleanups.push(() => admin.end());
		await migrate(admin);
		use({url, admin});
	});
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
	});
	return cleanups;
}
