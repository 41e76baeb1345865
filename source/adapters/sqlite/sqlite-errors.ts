import path from 'node:path';
import Database from 'better-sqlite3';
import {FleetError} from '../../core/domain/errors.js';

// The typings declare Database.SqliteError as the class's constructor type, hence InstanceType.
export function isSqliteError(error: unknown): error is InstanceType<typeof Database.SqliteError> {
	return error instanceof Database.SqliteError;
}

/** What a damaged file means for the person who meets it: it is kept as it is, and how to get going again. */
export function damagedDatabaseMessage(file: string, reason: string): string {
	return (
		`The ccfleet database at ${file} is damaged (${reason}); ccfleet leaves it as it is and never overwrites it. ` +
		`Stop ccfleet if it runs, move ${file} and its -wal and -shm files aside (or restore them from a backup), and start ccfleet ` +
		'again: it creates a new, empty database. `ccfleet doctor` checks the file; the moved copy can still be read with the ' +
		'sqlite3 shell (.recover) to get tasks back by hand.'
	);
}

/**
 * Turns SQLite's failure of a read or write on the open database into an error that names the file, says what went
 * wrong in words and what to do next. Anything else passes through as it was.
 */
export function storeError(file: string, error: unknown): unknown {
	if (!isSqliteError(error)) return error;
	const code = error.code;
	const where = `the ccfleet database at ${file}`;
	if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
		return new FleetError(
			`Could not write to ${where}: another process holds its lock (${error.message}). Let it finish, or find it with \`fuser ${file}\` and stop it.`,
			{cause: error},
		);
	}
	if (code === 'SQLITE_FULL') {
		return new FleetError(`Could not write to ${where}: the disk is full (${error.message}). Free disk space in ${path.dirname(file)}.`, {cause: error});
	}
	if (code.startsWith('SQLITE_IOERR')) {
		return new FleetError(`Could not read or write ${where}: an I/O error (${code}). Check the disk that holds ${path.dirname(file)} (free space, \`dmesg\`).`, {
			cause: error,
		});
	}
	if (code.startsWith('SQLITE_READONLY')) {
		return new FleetError(`Could not write to ${where}: it became read-only (${code}). Make ${file} and its directory writable by you again.`, {cause: error});
	}
	if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
		return new FleetError(damagedDatabaseMessage(file, error.message), {cause: error});
	}
	return error;
}
