import {readdirSync, readFileSync} from 'node:fs';
import {readdir, readFile} from 'node:fs/promises';
import {isProcessAlive, readProcessStartTime, type ProcessIdentity} from './process-info.js';

/**
 * Every process a worker starts inherits this variable with its task id. claude runs its Bash tools in sessions
 * of their own, and they are re-parented to init when claude dies, so neither the session nor the parent chain
 * finds them all; the marker does.
 */
export const WORKER_MARKER_ENV = 'CCFLEET_TASK_ID';

type ProcEntry = {pid: number; ppid: number; session: number};

/** Fields after the command name (which may hold spaces): state ppid pgrp session ... */
function parseStat(pid: number, stat: string): ProcEntry | undefined {
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// A zombie has already ended; it only waits to be reaped.
	if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
	return {pid, ppid: Number(fields[1]), session: Number(fields[3])};
}

function listProcesses(): ProcEntry[] {
	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		return [];
	}
	const processes: ProcEntry[] = [];
	for (const entry of entries) {
		const pid = Number(entry);
		if (!Number.isInteger(pid)) continue;
		try {
			const parsed = parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
			if (parsed) processes.push(parsed);
		} catch {
			// the process ended while we looked
		}
	}
	return processes;
}

/** The process table without blocking the event loop: for sampling on a timer, not for killing. */
async function listProcessesAsync(): Promise<ProcEntry[]> {
	let entries: string[];
	try {
		entries = await readdir('/proc');
	} catch {
		return [];
	}
	const pids = entries.map(Number).filter(pid => Number.isInteger(pid));
	const parsed = await Promise.all(
		pids.map(async pid =>
			readFile(`/proc/${pid}/stat`, 'utf8').then(
				stat => parseStat(pid, stat),
				() => undefined,
			),
		),
	);
	return parsed.filter((entry): entry is ProcEntry => entry !== undefined);
}

function carriesMarker(pid: number, marker: string): boolean {
	try {
		return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
	} catch {
		return false;
	}
}

/**
 * Everything that belongs to a worker: the session it leads, every descendant by parent chain, and every
 * process marked with its task id.
 */
export function workerProcesses(leader: number, taskId?: string): number[] {
	const processes = listProcesses();
	const found = treeOf(processes, leader);
	if (taskId) {
		const marker = `${WORKER_MARKER_ENV}=${taskId}`;
		for (const entry of processes) if (!found.has(entry.pid) && entry.pid !== process.pid && carriesMarker(entry.pid, marker)) found.add(entry.pid);
	}
	return [...found];
}

/** The session `leader` leads and every descendant by parent chain, from one reading of the process table. */
function treeOf(processes: ProcEntry[], leader: number): Set<number> {
	const found = new Set<number>();
	for (const entry of processes) if (entry.session === leader) found.add(entry.pid);
	if (processes.some(entry => entry.pid === leader)) found.add(leader);
	let grew = true;
	while (grew) {
		grew = false;
		for (const entry of processes) {
			if (!found.has(entry.pid) && found.has(entry.ppid)) {
				found.add(entry.pid);
				grew = true;
			}
		}
	}
	return found;
}

/**
 * The resident memory of each leader's tree (its session and descendants), by leader pid, from one reading of the
 * process table; leaders that are gone are left out.
 */
export async function treeResidentBytes(leaders: readonly number[]): Promise<Map<number, number>> {
	const processes = await listProcessesAsync();
	const live = new Set(processes.map(entry => entry.pid));
	const result = new Map<number, number>();
	await Promise.all(
		leaders
			.filter(leader => live.has(leader))
			.map(async leader => {
				const sizes = await Promise.all([...treeOf(processes, leader)].map(async pid => readFile(`/proc/${pid}/status`, 'utf8').then(vmRssBytes, () => 0)));
				result.set(
					leader,
					sizes.reduce((sum, bytes) => sum + bytes, 0),
				);
			}),
	);
	return result;
}

function vmRssBytes(status: string): number {
	const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
	return match ? Number(match[1]) * 1024 : 0;
}

function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
	for (const pid of pids) {
		try {
			process.kill(pid, signal);
		} catch {
			// already gone
		}
	}
}

const POLL_MS = 50;

/**
 * Ends a worker and everything it started: SIGTERM first, SIGKILL for whatever is left after `graceMs`.
 * The leader is checked by start time first, so a reused pid is never signalled; after the leader is gone only
 * processes carrying the task's marker are touched.
 */
export async function killProcessTree(leader: ProcessIdentity, graceMs: number, taskId?: string): Promise<void> {
	const leaderAlive = isProcessAlive(leader);
	// A dead leader's pid may since belong to someone else: then only the marker still identifies the worker.
	const leaderPid = leaderAlive || readProcessStartTime(leader.pid) === undefined ? leader.pid : -1;
	const targets = new Set(workerProcesses(leaderPid, taskId));
	if (targets.size === 0) return;
	signalAll(targets, 'SIGTERM');
	const deadline = Date.now() + graceMs;
	const stillThere = () => {
		const alive = new Set(workerProcesses(leaderPid, taskId));
		return [...targets].filter(pid => alive.has(pid));
	};
	while (Date.now() < deadline && stillThere().length > 0) {
		await new Promise(resolve => setTimeout(resolve, POLL_MS));
	}
	signalAll(stillThere(), 'SIGKILL');
}
