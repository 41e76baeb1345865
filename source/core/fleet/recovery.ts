import {transition, type Task} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {Logger} from '../ports/logger.js';
import type {SystemMonitor} from '../ports/system-monitor.js';
import type {TaskLedger} from './task-ledger.js';

export type RecoveryReport = {
	queued: number;
	resumed: number;
	restarted: number;
	failed: number;
};

export type RecoveryPorts = {
	ledger: TaskLedger;
	system: SystemMonitor;
	clock: Clock;
	logger: Logger;
	maxAttempts: number;
	/** Whether the task's Claude conversation is on disk, so it can be resumed. */
	canResume(task: Task): boolean;
	/** Puts a queued task where it belongs: waiting for its worktree or dependencies, or in the queue. */
	enqueue(task: Task): void;
	/** With a shared store: whether this host holds the task (others' tasks are theirs to recover). Without it, all are. */
	holds?(task: Task): boolean;
};

/**
 * Accounts for every task an earlier run of the core left unfinished: a queued one is queued again; one that was
 * running is resumed when its conversation is on disk, restarted otherwise, or failed with the reason after too
 * many lost workers. Nothing is dropped.
 */
export async function recoverUnfinished(ports: RecoveryPorts): Promise<RecoveryReport> {
	const report: RecoveryReport = {queued: 0, resumed: 0, restarted: 0, failed: 0};
	for (const task of ports.ledger.list({statuses: ['queued', 'parked', 'running', 'needs_input']})) {
		if (ports.holds && !ports.holds(task)) continue;
		if (task.status === 'parked') {
			// Still waiting for its usage limit to reset: it stays parked, and the fleet wakes it at the reset.
			ports.ledger.adopt(task);
			report.queued++;
			continue;
		}
		if (task.status === 'queued') {
			ports.ledger.adopt(task);
			ports.enqueue(task);
			report.queued++;
			continue;
		}
		await recoverLost(task, ports, report);
	}
	return report;
}

async function recoverLost(task: Task, ports: RecoveryPorts, report: RecoveryReport): Promise<void> {
	// Its pty died with the old core, so even a live worker cannot be reattached: end it and whatever it started,
	// then continue the conversation.
	if (task.worker) {
		if (ports.system.isAlive(task.worker)) ports.logger.warn('ending a worker left over from a previous run', {taskId: task.id, pid: task.worker.pid});
		await ports.system.killTree(task.worker, task.id);
	}
	const now = ports.clock.now();
	let next: Task;
	if (task.attempts >= ports.maxAttempts) {
		next = transition(task, 'failed', now, {
			failureReason: `Its worker was lost ${task.attempts} times (ccfleet stopped or crashed while it ran); not started again. Retry it if it should run.`,
		});
		report.failed++;
	} else if (ports.canResume(task)) {
		next = transition(task, 'queued', now, {resumePending: true});
		report.resumed++;
	} else {
		next = transition(task, 'queued', now, {resumePending: false});
		report.restarted++;
	}
	delete next.worker;
	if (ports.ledger.save(next, task.status) && next.status === 'queued') ports.enqueue(next);
}
