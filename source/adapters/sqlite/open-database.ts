import fs from 'node:fs';
import Database from 'better-sqlite3';
import {FleetError, messageOf} from '../../core/domain/errors.js';
import {migrate} from './migrations.js';
import {damagedDatabaseMessage, isSqliteError} from './sqlite-errors.js';

/** How long opening the file (and migrating it) waits for another connection's lock: once, before the core serves. */
const OPEN_BUSY_TIMEOUT_MS = 5000;
/**
 * How long a statement waits for another connection's lock once the core runs. SQLite's wait is synchronous, so a
 * long one would freeze the core's event loop; a refused write is queued and retried by the task ledger instead.
 */
export const BUSY_TIMEOUT_MS = 50;

/**
 * Opens ccfleet's database (one file holds tasks and schedules; each store has its own connection) in WAL mode
 * and brings its schema up to date. Throws a FleetError that names the path and the way out.
 */
export function openDatabase(path: string): Database.Database {
	let db: Database.Database | undefined;
	try {
		db = new Database(path);
		// SQLite creates the file 0644 (less the umask) and gives the -wal and -shm it makes at the first read the
		// file's mode, so one chmod now keeps all three private (tasks' prompts are in them).
		if (!db.memory) keepPrivate(path);
		db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
		// The first statement that reads the file; a file that is not a database fails here.
		db.pragma('journal_mode = WAL');
		db.pragma('synchronous = NORMAL');
		db.pragma('foreign_keys = ON');
		migrate(db);
		db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
		return db;
	} catch (error) {
		db?.close();
		throw openError(path, error);
	}
}

function keepPrivate(file: string): void {
	if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
}

/** Turns a failure to open the file into a message that names the path and the way out. */
function openError(path: string, error: unknown): Error {
	if (error instanceof FleetError) return error;
	const reason = messageOf(error);
	const code = isSqliteError(error) ? error.code : undefined;
	if (/directory does not exist/i.test(reason)) {
		return new FleetError(`Cannot open the ccfleet database at ${path}: its directory does not exist. Create the directory or choose another path.`, {
			cause: error,
		});
	}

	if (code === 'SQLITE_CANTOPEN') {
		const isDirectory = path !== ':memory:' && fs.statSync(path, {throwIfNoEntry: false})?.isDirectory() === true;
		return new FleetError(
			isDirectory
				? `Cannot open the ccfleet database at ${path}: that is a directory. Give the path of a file (it is created if missing).`
				: `Cannot open the ccfleet database at ${path} (${reason}). Check that you may read and write the file and its directory.`,
			{cause: error},
		);
	}

	if (code === 'SQLITE_NOTADB') {
		return new FleetError(`Cannot open the ccfleet database at ${path}: the file exists but is not a SQLite database. Move it aside or choose another path.`, {
			cause: error,
		});
	}

	if (code?.startsWith('SQLITE_CORRUPT')) return new FleetError(damagedDatabaseMessage(path, reason), {cause: error});

	if (code === 'SQLITE_BUSY') {
		return new FleetError(
			`The ccfleet database at ${path} stayed locked by another process for ${OPEN_BUSY_TIMEOUT_MS} ms. Stop the other ccfleet using it, or choose another path.`,
			{cause: error},
		);
	}

	return new FleetError(`Cannot open the ccfleet database at ${path}: ${reason}. Check that the path is a writable file in an existing directory.`, {
		cause: error,
	});
}
