import {formatDuration} from '../domain/duration.js';
import type {Task} from '../domain/task.js';
import type {WorkerExit} from '../ports/worker-driver.js';

/** Why a running worker is being stopped; decides how its task ends. */
export type StopIntent =
	| {kind: 'cancel'; by: string; reason: string}
	| {kind: 'timeout'}
	| {kind: 'shutdown'}
	/** Its memory passed CCFLEET_WORKER_MAX_RSS: it starts again from its conversation. */
	| {kind: 'recycle'; rssBytes: number; maxRssBytes: number}
	/** It met the account's usage limit: it waits for the reset, then goes on from its conversation. */
	| {kind: 'park'; until: number}
	/** Its cost reached the task's maxBudgetUsd (a pty worker; claude stops a headless one itself). */
	| {kind: 'budget'; costUsd: number; maxBudgetUsd: number};

/** What an exit means for its task. */
export type ExitDecision =
	| {kind: 'complete'}
	| {kind: 'fail'; reason: string}
	| {kind: 'cancel'; by: string; reason: string}
	/** ccfleet is stopping: back to the queue, to resume on the next start. */
	| {kind: 'requeue'}
	/** Stopped for its memory: back to the head of the queue, to resume its conversation in a fresh process at once. */
	| {kind: 'recycle'; reason: string}
	/** Stopped at the usage limit: parked until it resets, then resumed; neither a failure nor an attempt used. */
	| {kind: 'park'; until: number}
	/** A passing failure (rate limit, overload): run again after `delayMs`, with no worker starting meanwhile. */
	| {kind: 'retry-later'; delayMs: number; reason: string};

export type ExitContext = {
	task: Task;
	exit: WorkerExit;
	/** Set when ccfleet itself stopped the worker. */
	stopping: StopIntent | undefined;
	maxAttempts: number;
	/** False while the fleet stops: nothing is retried then. */
	isTakingWork: boolean;
	/** First wait before a passing failure is retried; doubles with each attempt. */
	retryBaseMs: number;
	/** Until when the account's usage limit holds, if it does (a worker that exits at the limit is parked till then). */
	limitedUntil: number | undefined;
};

/**
 * The one table of what a worker's exit means. Why ccfleet stopped the worker comes first (a cancelled worker that
 * happened to finish is still cancelled); only a clean exit with a result completes; a signal or a null exit code
 * is never success.
 */
export function decideExit({task, exit, stopping, maxAttempts, isTakingWork, retryBaseMs, limitedUntil}: ExitContext): ExitDecision {
	switch (stopping?.kind) {
		case 'cancel':
			return {kind: 'cancel', by: stopping.by, reason: stopping.reason};
		case 'timeout':
			return {kind: 'fail', reason: `Timed out after ${formatDuration(task.timeoutMs)}; raise the task's timeout if it needs longer.`};
		case 'shutdown':
			return {kind: 'requeue'};
		case 'budget':
			return {kind: 'fail', reason: overBudgetReason(stopping.maxBudgetUsd, stopping.costUsd)};
		case 'park':
			return isCleanFinish(exit) ? {kind: 'complete'} : {kind: 'park', until: stopping.until};
		case 'recycle':
			// A worker that finished its task while being recycled has nothing left to go on with.
			if (isCleanFinish(exit)) return {kind: 'complete'};
			return {
				kind: 'recycle',
				reason: `its memory reached ${megabytes(stopping.rssBytes)}, over CCFLEET_WORKER_MAX_RSS ${megabytes(stopping.maxRssBytes)}; it goes on from its conversation in a fresh process`,
			};
		case undefined:
			break;
	}
	if (isCleanFinish(exit)) return {kind: 'complete'};
	if (exit.isOverBudget) return {kind: 'fail', reason: overBudgetReason(task.maxBudgetUsd, task.costUsd)};
	// Stopping now would not make the limit go away: the task waits for the reset instead of failing or retrying.
	const limitResets = exit.usageLimit?.status === 'rejected' ? (exit.usageLimit.resetsAt ?? limitedUntil) : undefined;
	if (limitResets !== undefined && isTakingWork) return {kind: 'park', until: limitResets};
	if (exit.transient && task.attempts < maxAttempts && isTakingWork) {
		return {kind: 'retry-later', delayMs: retryBaseMs * 2 ** (task.attempts - 1), reason: exit.error ?? 'a passing API error'};
	}
	return {kind: 'fail', reason: failureReasonOf(exit)};
}

function isCleanFinish(exit: WorkerExit): boolean {
	return exit.exitCode === 0 && exit.signal === null && exit.result !== undefined && exit.error === undefined;
}

function failureReasonOf(exit: WorkerExit): string {
	if (exit.error) return exit.error;
	if (exit.exitCode === null) return `claude was killed by ${exit.signal ?? 'a signal'} before it finished.`;
	if (exit.exitCode === 0) return 'claude exited without finishing its turn.';
	return `claude exited with code ${exit.exitCode} before it finished.`;
}

/** Both drivers' budget stop ends in this sentence. Retry and resume copy the spec, budget included, so they would stop again. */
function overBudgetReason(maxBudgetUsd: number | undefined, costUsd: number): string {
	const budget = maxBudgetUsd === undefined ? 'its budget' : `its budget of $${maxBudgetUsd}`;
	return `Spent ${budget} (${usd(costUsd)}); raise maxBudgetUsd (delegate it again with --max-budget-usd; ccfleet retry and resume keep the old budget) to let it go on.`;
}

/** Cents, or tenths of a cent below one, so that a small spend does not read as $0.00. */
function usd(amount: number): string {
	return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}

function megabytes(bytes: number): string {
	return `${Math.round(bytes / 1024 ** 2)} MB`;
}
