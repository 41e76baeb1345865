import {readFileSync} from 'node:fs';

/** A process as the OS knows it: a pid alone is reused after exit, the pair (pid, start time) is not. */
export type ProcessIdentity = {
	pid: number;
	/** Start time in clock ticks since boot (`/proc/<pid>/stat` field 22); undefined where /proc is unavailable. */
	startTime?: number | undefined;
};

type ProcStat = {state: string; startTime: number};

function readProcStat(pid: number): ProcStat | undefined {
	if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}

	// Field 2 (comm) is the executable name in parentheses and may itself hold spaces and ')', so fields are counted after the last ')'.
	const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// afterComm[0] is field 3, so field 22 sits at index 19.
	const state = afterComm[0];
	const startTime = Number(afterComm[19]);
	if (state === undefined || !Number.isSafeInteger(startTime)) return undefined;
	return {state, startTime};
}

/** Start time of `pid` in clock ticks since boot, or undefined if there is no such process (or no /proc). */
export function readProcessStartTime(pid: number): number | undefined {
	return readProcStat(pid)?.startTime;
}

/** This process's identity, as another process would check it with `isProcessAlive`. */
export function currentProcessIdentity(): ProcessIdentity {
	return {pid: process.pid, startTime: readProcessStartTime(process.pid)};
}

/**
 * Whether the process recorded as `identity` still runs: the pid exists, is not a zombie, and (when both sides know it)
 * started at the recorded time. Without a start time on either side the answer rests on the pid alone, which errs
 * towards "alive" so that a lock is never stolen from a live owner.
 */
export function isProcessAlive(identity: ProcessIdentity): boolean {
	const {pid, startTime} = identity;
	// 0 and negative pids address process groups in kill(2), never one process.
	if (!Number.isSafeInteger(pid) || pid <= 0) return false;

	try {
		process.kill(pid, 0);
	} catch (error) {
		// EPERM: the process exists but belongs to another user.
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}

	const stat = readProcStat(pid);
	if (stat === undefined) return true;
	// A zombie has exited and only waits for its parent to reap it.
	if (stat.state === 'Z' || stat.state === 'X') return false;
	if (startTime === undefined) return true;
	return stat.startTime === startTime;
}
