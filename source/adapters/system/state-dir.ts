import fs from 'node:fs';
import path from 'node:path';
import type {Config} from '../../config.js';
import {FleetError} from '../../core/domain/errors.js';
import type {Logger} from '../../core/ports/logger.js';

const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIRECTORY_MODE = 0o700;
/** Set on directories every user may write to, such as /tmp. */
const STICKY_BIT = 0o1000;
/** A start after many tasks may tighten hundreds of logs; the log line names this many and counts the rest. */
const MAX_NAMED_ENTRIES = 20;

/** Where ccfleet keeps its state; the rest of the home is left alone, since CCFLEET_HOME may point at a shared directory. */
export type StateLayout = Pick<Config, 'home' | 'databasePath' | 'lockPath' | 'daemonLogPath' | 'logsDirectory' | 'socketPath' | 'attachSocketPath'>;

/** One entry whose mode was changed. */
export type TightenedEntry = {path: string; from: number; to: number};

/**
 * Makes ccfleet's state private to its owner, whatever modes an earlier run or an older ccfleet left: the home and
 * every directory of ccfleet's in it that others could enter become 0700, every such file 0600 (the database and SQLite's -wal and -shm, the lock, the
 * daemon's log, the task logs, the patches). Sockets keep the 0600 their server gives them and symlinks are not
 * followed. A task's git worktree is a checkout whose modes are part of its content, so only `worktrees/` itself is
 * tightened: that alone keeps other users out. Logs one warning that names what changed; returns it.
 * Throws a FleetError when the home is a directory shared by all users or an entry cannot be changed.
 */
export function secureStateDirectory(layout: StateLayout, logger: Logger): TightenedEntry[] {
	const {home} = layout;
	if ((fs.statSync(home).mode & STICKY_BIT) !== 0) {
		throw new FleetError(
			`The ccfleet state directory ${home} is shared by all users, so it cannot be kept private. Point CCFLEET_HOME at a directory of your own, or unset it for the default.`,
		);
	}
	const tightened: TightenedEntry[] = [];
	tighten(home, {isRecursive: false}, tightened);
	const database = layout.databasePath;
	// As GitWorktrees lays them out.
	const worktrees = path.join(home, 'worktrees');
	const patches = path.join(home, 'patches');
	const trees = new Set([layout.logsDirectory, path.dirname(layout.socketPath), path.dirname(layout.attachSocketPath), patches]);
	for (const file of [database, `${database}-wal`, `${database}-shm`, `${database}-journal`, layout.lockPath, layout.daemonLogPath]) {
		tighten(file, {isRecursive: false}, tightened);
	}
	for (const tree of trees) tighten(tree, {isRecursive: true}, tightened);
	tighten(worktrees, {isRecursive: false}, tightened);

	if (tightened.length > 0) logger.warn(describe(home, tightened));
	return tightened;
}

function tighten(target: string, {isRecursive}: {isRecursive: boolean}, tightened: TightenedEntry[]): void {
	const stats = statIfPresent(target);
	if (stats?.isFile()) {
		setMode(target, stats, PRIVATE_FILE_MODE, tightened);
	} else if (stats?.isDirectory()) {
		setMode(target, stats, PRIVATE_DIRECTORY_MODE, tightened);
		if (isRecursive) for (const name of fs.readdirSync(target)) tighten(path.join(target, name), {isRecursive}, tightened);
	}
}

function statIfPresent(target: string): fs.Stats | undefined {
	try {
		return fs.lstatSync(target);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new FleetError(`Cannot check who may read ${target}: ${(error as Error).message}. Check the permissions of its directory.`, {cause: error});
	}
}

function setMode(target: string, stats: fs.Stats, mode: number, tightened: TightenedEntry[]): void {
	const from = stats.mode & 0o777;
	// Only what lets others in is changed: an entry its owner has made stricter (a read-only log) stays so.
	if ((from & 0o077) === 0) return;
	try {
		fs.chmodSync(target, mode);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
		throw new FleetError(
			`Cannot make ${target} private (its mode is ${octal(from)}): ${(error as Error).message}. Make it yours (chown) or move it away, then start ccfleet again.`,
			{cause: error},
		);
	}
	tightened.push({path: target, from, to: mode});
}

function describe(home: string, tightened: TightenedEntry[]): string {
	const named = tightened.slice(0, MAX_NAMED_ENTRIES).map(entry => `${path.relative(home, entry.path) || home} ${octal(entry.from)}→${octal(entry.to)}`);
	const rest = tightened.length - named.length;
	return `tightened the permissions of ${tightened.length} entries in ${home} that other users could read or enter: ${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

function octal(mode: number): string {
	return `0${mode.toString(8).padStart(3, '0')}`;
}
