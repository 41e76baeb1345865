/** Connections to the shared PostgreSQL that CCFLEET_DATABASE_URL names: the pool, dedicated sessions, and errors that say what to do. */
import pg from 'pg';
import {FleetError} from '../../core/domain/errors.js';

/** How long a connection attempt may take before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Connections one host's pool keeps at most; claims, heartbeats and writes are short, so a few suffice. */
export const POOL_MAX = 10;

const ACCEPTED = 'postgres://user:password@host:5432/database (or postgresql://…; a Unix socket as postgres:///database?host=/var/run/postgresql)';

/** Settings for one connection, from the URL; `applicationName` shows in pg_stat_activity (which host holds what). */
export function clientConfig(url: string, applicationName = 'ccfleet'): pg.ClientConfig {
	checkDatabaseUrl(url);
	return {connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: applicationName};
}

/** Throws a FleetError naming what is wrong and what is accepted, for a URL that cannot be PostgreSQL's. */
export function checkDatabaseUrl(url: string): void {
	if (!/^postgres(?:ql)?:\/\//i.test(url.trim())) {
		throw new FleetError(`CCFLEET_DATABASE_URL is "${redact(url)}", which is not a PostgreSQL URL. Give one like ${ACCEPTED}, or unset it to keep the local SQLite file.`);
	}
}

/**
 * A pool on the database, checked by one round trip so a bad URL, an unreachable server or a wrong password fails here
 * with a message that says what to do, not at the first task. Idle connections that break are dropped, not thrown.
 */
export async function openPool(url: string, options: {applicationName?: string; max?: number} = {}): Promise<pg.Pool> {
	const pool = new pg.Pool({...clientConfig(url, options.applicationName), max: options.max ?? POOL_MAX});
	// An idle connection the server ends (a restart, pg_terminate_backend) emits 'error' on the pool; unhandled, that would end the process.
	pool.on('error', () => {});
	try {
		await pool.query('SELECT 1');
		return pool;
	} catch (error) {
		await pool.end().catch(() => {});
		throw connectionError(url, error);
	}
}

/** A connection of its own, outside any pool: for LISTEN and for session-level advisory locks, which must outlive a query. */
export async function openSession(url: string, applicationName?: string): Promise<pg.Client> {
	const client = new pg.Client(clientConfig(url, applicationName));
	try {
		await client.connect();
		return client;
	} catch (error) {
		await client.end().catch(() => {});
		throw connectionError(url, error);
	}
}

/** The URL with its password replaced by ***, fit for a message or a log. */
export function redact(url: string): string {
	return url.replace(/(\/\/[^:/?#@]*:)[^@/?#]*@/, '$1***@').replace(/([?&]password=)[^&]*/i, '$1***');
}

type PgError = Error & {code?: string; address?: string; port?: number};

/** Turns a failure to connect into a FleetError that names the database (without its password), what went wrong and what to do. */
export function connectionError(url: string, error: unknown): FleetError {
	if (error instanceof FleetError) return error;
	const cause = error as PgError;
	const where = `the PostgreSQL database at ${redact(url)} (CCFLEET_DATABASE_URL)`;
	const reason = cause?.message ?? String(error);
	switch (cause?.code ?? '') {
		case 'ECONNREFUSED':
		case 'ENOENT':
			return new FleetError(`Cannot connect to ${where}: nothing accepts connections there (${reason}). Start PostgreSQL, or correct the host and port in the URL.`, {
				cause,
			});
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return new FleetError(`Cannot connect to ${where}: the host name does not resolve (${reason}). Correct the host in the URL, or check DNS.`, {cause});
		case 'ETIMEDOUT':
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return new FleetError(`Cannot connect to ${where}: the server cannot be reached (${reason}). Check the host, the network and any firewall between them.`, {cause});
		case '28P01':
			return new FleetError(
				`Cannot connect to ${where}: the server refused the password (${reason}). Put the right password in the URL (postgres://user:password@host/database).`,
				{
					cause,
				},
			);
		case '28000':
			return new FleetError(
				`Cannot connect to ${where}: the server does not let this user in from here (${reason}). Check the user name, and the server's pg_hba.conf.`,
				{
					cause,
				},
			);
		case '3D000':
			return new FleetError(`Cannot connect to ${where}: that database does not exist (${reason}). Create it (createdb <name>) or correct its name in the URL.`, {
				cause,
			});
		case '53300':
			return new FleetError(`Cannot connect to ${where}: the server has no free connections (${reason}). Raise its max_connections, or run fewer hosts.`, {cause});
		default:
			break;
	}
	if (/timeout/i.test(reason)) {
		return new FleetError(`Cannot connect to ${where}: no answer within ${CONNECT_TIMEOUT_MS} ms. Check that the host and port are right and the server is up.`, {cause});
	}
	if (/password/i.test(reason)) {
		return new FleetError(`Cannot connect to ${where}: the server asks for a password (${reason}). Put it in the URL (postgres://user:password@host/database).`, {cause});
	}
	return new FleetError(`Cannot connect to ${where}: ${reason}. Check the URL (${ACCEPTED}) and that the server is up.`, {cause});
}
