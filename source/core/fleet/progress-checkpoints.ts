import {CHECKPOINT_OUTPUT_LINES} from '../domain/checkpoint.js';
import type {Checkpoint, Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {OutputLog} from '../ports/task-store.js';
import type {TaskLedger} from './task-ledger.js';

/** Heartbeats between two looks at a running task's output (one lease's worth: 15 s by default). */
export const PROGRESS_EVERY_BEATS = 3;
/** A progress checkpoint's line is cut to this many characters: one long line (a JSON dump) must not fill the row. */
export const PROGRESS_LINE_CHARS = 400;
/** A progress checkpoint keeps the last lines that fit in this many characters: every host rereads the row at each write. */
export const PROGRESS_TAIL_CHARS = 8000;

export type ProgressCheckpointsPorts = {
	ledger: TaskLedger;
	output: OutputLog;
	clock: Clock;
	hostId: string;
	/** Whether this task has a live worker here. */
	hasWorker(taskId: string): boolean;
};

/**
 * Keeps a progress checkpoint on each task this host of a shared fleet runs: its output tail and session, written
 * through the task's ordinary write path (so it reaches the shared database) every few heartbeats, and only when the
 * output grew since the last one. A host that takes the task over after this one is lost retells it to a fresh
 * conversation (docs/research/multi-host-store.md §4.4). The git state is left out: it would cost a git process per
 * running task each time, and the new holder's worker can look at the repository itself.
 */
export class ProgressCheckpoints {
	readonly #ports: ProgressCheckpointsPorts;
	/** The log's size when each task's last progress checkpoint was written. */
	readonly #writtenAtBytes = new Map<string, number>();
	#beats = 0;

	constructor(ports: ProgressCheckpointsPorts) {
		this.#ports = ports;
	}

	/** A heartbeat went through: every few, each running task whose output grew gets a fresh progress checkpoint. */
	beat(): void {
		this.#beats++;
		if (this.#beats % PROGRESS_EVERY_BEATS !== 0) return;
		const ports = this.#ports;
		const running = [...ports.ledger.activeTasks()].filter(task => (task.status === 'running' || task.status === 'needs_input') && ports.hasWorker(task.id));
		const live = new Set(running.map(task => task.id));
		for (const id of this.#writtenAtBytes.keys()) if (!live.has(id)) this.#writtenAtBytes.delete(id);
		for (const task of running) this.#refresh(task);
	}

	#refresh(task: Task): void {
		const {ledger, output, clock, hostId} = this.#ports;
		// What was appended since the last checkpoint is read first (nothing, mostly), the tail only when the log grew.
		const last = this.#writtenAtBytes.get(task.id);
		if (last !== undefined && output.read(task.id, {sinceBytes: last}).bytes === last) return;
		const read = output.read(task.id, {tailLines: CHECKPOINT_OUTPUT_LINES});
		if (read.bytes === 0 || read.bytes === last) return;
		this.#writtenAtBytes.set(task.id, read.bytes);
		ledger.amend(task.id, current => ({checkpoint: progressCheckpoint(current, clock.now(), read.text, hostId)}));
	}
}

/** What a running task leaves for a host that may take it over: its last output lines, bounded, and its session. */
export function progressCheckpoint(task: Task, now: number, output: string, hostId: string): Checkpoint {
	const lines = output
		.replace(/\n$/, '')
		.split('\n')
		.slice(-CHECKPOINT_OUTPUT_LINES)
		.map(line => (line.length > PROGRESS_LINE_CHARS ? `${line.slice(0, PROGRESS_LINE_CHARS)}…` : line));
	const kept: string[] = [];
	let chars = 0;
	for (let index = lines.length - 1; index >= 0; index--) {
		chars += lines[index]!.length + 1;
		if (chars > PROGRESS_TAIL_CHARS) break;
		kept.unshift(lines[index]!);
	}
	return {takenAt: now, outputTail: kept, sessionId: task.sessionId, runningOn: hostId};
}
