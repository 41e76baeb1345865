import {closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync} from 'node:fs';
import {FleetError} from '../../core/domain/errors.js';
import {isProcessAlive, type ProcessIdentity} from './process-info.js';

/** What a lock file holds: who owns the state directory, and since when. */
export type StateLockOwner = {
	pid: number;
	startTime?: number | undefined;
	/** ISO 8601. */
	startedAt: string;
};

export type StateLock = {
	/** Removes the lock file if it still holds this owner; safe to call more than once. */
	release(): void;
};

/** Another live process already holds the state directory's lock. */
export class StateLockedError extends FleetError {
	constructor(
		readonly lockPath: string,
		readonly owner: StateLockOwner,
	) {
		super(
			`Another ccfleet core (pid ${owner.pid}, started ${owner.startedAt}) already uses this state directory (lock ${lockPath}). ` +
				`Use that core (\`ccfleet status\`) or stop it (kill ${owner.pid}) before starting another one.`,
		);
	}
}

function isErrnoCode(error: unknown, code: string): boolean {
	return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function parseOwner(text: string): StateLockOwner | undefined {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return undefined;
	}
	if (typeof value !== 'object' || value === null) return undefined;
	const {pid, startTime, startedAt} = value as Record<string, unknown>;
	if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) return undefined;
	return {
		pid,
		startTime: typeof startTime === 'number' ? startTime : undefined,
		startedAt: typeof startedAt === 'string' ? startedAt : 'at an unknown time',
	};
}

function readLockText(lockPath: string): string | undefined {
	try {
		return readFileSync(lockPath, 'utf8');
	} catch (error) {
		if (isErrnoCode(error, 'ENOENT')) return undefined;
		throw error;
	}
}

/** Who holds the lock now, if the file is there and readable; whether that process lives is the caller's question. */
export function readStateLockOwner(lockPath: string): StateLockOwner | undefined {
	const text = readLockText(lockPath);
	return text === undefined ? undefined : parseOwner(text);
}

/**
 * Creates the lock file with exactly `content`, or returns false if one already exists.
 * The content goes to a private temporary file that is then hard-linked into place: link(2) fails on an existing
 * target like O_EXCL does, and a reader never sees a lock file that is created but not yet written (which it would
 * have to call stale, and delete under a live owner).
 */
function tryCreate(lockPath: string, content: string): boolean {
	const temporaryPath = `${lockPath}.${process.pid}.${Date.now()}.tmp`;
	const fd = openSync(temporaryPath, 'wx', 0o600);
	try {
		writeSync(fd, content);
	} finally {
		closeSync(fd);
	}

	try {
		linkSync(temporaryPath, lockPath);
		return true;
	} catch (error) {
		if (isErrnoCode(error, 'EEXIST')) return false;
		throw error;
	} finally {
		unlinkSync(temporaryPath);
	}
}

/**
 * Makes this process the one core of a state directory, or throws `StateLockedError` naming the live owner.
 * A lock left by a dead process, or by a process whose pid has since been reused (another start time), is taken over.
 */
export function acquireStateLock(lockPath: string, identity: ProcessIdentity): StateLock {
	const owner: StateLockOwner = {pid: identity.pid, startTime: identity.startTime, startedAt: new Date().toISOString()};
	const content = `${JSON.stringify(owner)}\n`;

	// One retry: a stale lock is removed once; losing the retry too means another core is starting right now.
	for (let attempt = 0; !tryCreate(lockPath, content); attempt++) {
		const existingText = readLockText(lockPath);
		const existing = existingText === undefined ? undefined : parseOwner(existingText);
		if (existing !== undefined && isProcessAlive(existing)) throw new StateLockedError(lockPath, existing);
		if (attempt > 0) {
			throw new FleetError(
				`Could not take over the stale ccfleet lock ${lockPath}: another process keeps replacing it. Retry, or delete the file if no ccfleet core runs.`,
			);
		}

		// Two cores taking over the same stale lock at once could each delete the other's fresh one; deleting only
		// while the file still holds the stale text we judged shrinks that race to the gap between one read and one unlink.
		if (existingText !== undefined && readLockText(lockPath) === existingText) {
			try {
				unlinkSync(lockPath);
			} catch (error) {
				if (!isErrnoCode(error, 'ENOENT')) throw error;
			}
		}
	}

	let isReleased = false;
	return {
		release() {
			if (isReleased) return;
			isReleased = true;
			// After a takeover by another core the file is theirs; removing it would let a third core start.
			if (readLockText(lockPath) !== content) return;
			try {
				unlinkSync(lockPath);
			} catch (error) {
				if (!isErrnoCode(error, 'ENOENT')) throw error;
			}
		},
	};
}
