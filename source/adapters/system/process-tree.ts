import {readdirSync, readFileSync} from 'node:fs';
import {isProcessAlive, readProcessStartTime, type ProcessIdentity} from './process-info.js';

/**
 * Pids of every process in the session led by `leader`, the leader included. A pty child leads its own session,
 * and processes it starts stay in that session even after they are re-parented to init, so this finds tools a
 * worker left running after the worker itself died.
 */
export function sessionMembers(leader: number): number[] {
	const members: number[] = [];
	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		return [leader];
	}
	for (const entry of entries) {
		const pid = Number(entry);
		if (!Number.isInteger(pid)) continue;
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			// Fields after the command name: state ppid pgrp session ...
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[3]) === leader) members.push(pid);
		} catch {
			// the process ended while we looked
		}
	}
	return members;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
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
 * Ends a process and everything in its session: SIGTERM first, SIGKILL for whatever is left after `graceMs`.
 * The leader is checked by start time first, so a reused pid is never signalled.
 */
export async function killProcessTree(process: ProcessIdentity, graceMs: number): Promise<void> {
	if (!isProcessAlive(process)) {
		// The pid may since belong to someone else; only an empty pid still identifies the old session.
		if (readProcessStartTime(process.pid) === undefined) signalAll(sessionMembers(process.pid), 'SIGKILL');
		return;
	}
	signalAll(sessionMembers(process.pid), 'SIGTERM');
	const deadline = Date.now() + graceMs;
	while (Date.now() < deadline && sessionMembers(process.pid).length > 0) {
		await new Promise(resolve => setTimeout(resolve, POLL_MS));
	}
	signalAll(sessionMembers(process.pid), 'SIGKILL');
}
