// `ccfleet doctor` on a shared fleet checks the PostgreSQL database CCFLEET_DATABASE_URL names (a real one here), not
// this host's SQLite file: whether it answers, its schema, and the hosts it knows with this one among them.
import {afterAll, expect, it} from 'vitest';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {migrate} from '../../source/adapters/postgres/migrations.js';
import {TaskClaims} from '../../source/adapters/postgres/task-claims.js';
import {checkSharedDatabase} from '../../source/cli/doctor-shared.js';
import {usePostgres} from '../helpers/postgres-server.js';

const postgres = usePostgres();
const pools: Array<{end(): Promise<void>}> = [];
afterAll(async () => {
	for (const pool of pools) await pool.end();
});

it('reports the schema and every host, live or down, naming this one; a database without tables yet is fine', async () => {
	const url = await postgres().createDatabase();
	const settings = {databaseUrl: url, leaseMs: 15_000};
	const alpha = {id: 'alpha', labels: ['gpu']};
	expect(await checkSharedDatabase(settings, alpha)).toMatchObject({status: 'ok', detail: expect.stringContaining('no tables yet (the first daemon to start makes them)')});
	const pool = await openPool(url);
	pools.push(pool);
	await migrate(pool);
	// Two hosts joined: alpha beats now, beta stopped beating long ago.
	await new TaskClaims(pool, {hostId: 'alpha'}).heartbeat();
	await new TaskClaims(pool, {hostId: 'beta'}).heartbeat();
	await pool.query("UPDATE hosts SET heartbeat_at = now() - interval '10 minutes' WHERE id = 'beta'");
	const result = await checkSharedDatabase(settings, alpha);
	expect(result.status).toBe('ok');
	expect(result.detail).toMatch(/schema version \d+; this host is "alpha" \(labels gpu\); hosts: alpha \(this host\) live, beta down 10 min$/);
});

it('fails with what to do when the database does not answer, its password hidden', async () => {
	// Port 1 on loopback: nothing listens there.
	const result = await checkSharedDatabase({databaseUrl: 'postgres://ccfleet:secret@127.0.0.1:1/fleet', leaseMs: undefined}, {id: 'alpha', labels: []});
	expect(result.status).toBe('fail');
	expect(result.detail).toContain('nothing accepts connections there');
	expect(result.detail).not.toContain('secret');
	expect(result.next).toMatch(/CCFLEET_DATABASE_URL/);
});

it('refuses a database a newer ccfleet migrated, saying to update this host', async () => {
	const url = await postgres().createDatabase();
	const pool = await openPool(url);
	pools.push(pool);
	await migrate(pool);
	await pool.query("INSERT INTO schema_migrations (version, description) VALUES (999, 'from the future')");
	expect(await checkSharedDatabase({databaseUrl: url, leaseMs: undefined}, {id: 'alpha', labels: []})).toMatchObject({
		status: 'fail',
		detail: expect.stringContaining('schema version 999, newer than this ccfleet knows'),
		next: 'Update ccfleet on this host to the version the other hosts run.',
	});
});
