import {describe, expect, it} from 'vitest';
import {createTask, transition} from '../../source/core/domain/task.js';
import {decideExit, type ExitContext, type ExitDecision, type StopIntent} from '../../source/core/fleet/exit-policy.js';
import type {WorkerExit} from '../../source/core/ports/worker-driver.js';

const defaults = {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 90_000} as const;
const running = (attempts: number) => ({...transition(createTask({prompt: 'x', cwd: '/w'}, {id: 't1', sessionId: 's'}, 0, defaults), 'running', 1), attempts});

const clean: WorkerExit = {exitCode: 0, signal: null, result: 'done'};
const killed: WorkerExit = {exitCode: null, signal: 'SIGKILL'};
const limited: WorkerExit = {exitCode: 1, signal: null, error: 'rate_limit', transient: true};
const cancel: StopIntent = {kind: 'cancel', by: 'cli', reason: 'wrong branch'};
const budgeted = {...running(1), maxBudgetUsd: 0.001, costUsd: 0.012_34};
const overBudget =
	'Spent its budget of $0.001 ($0.0123); raise maxBudgetUsd (delegate it again with --max-budget-usd; ccfleet retry and resume keep the old budget) to let it go on.';

const cases: Array<[string, Partial<ExitContext> & {exit: WorkerExit}, ExitDecision]> = [
	['a clean exit with a result completes', {exit: clean}, {kind: 'complete'}],
	['a clean exit without a result fails', {exit: {exitCode: 0, signal: null}}, {kind: 'fail', reason: 'claude exited without finishing its turn.'}],
	['a clean exit that reports an error fails with it', {exit: {...clean, error: 'authentication_failed'}}, {kind: 'fail', reason: 'authentication_failed'}],
	['a signal is never success', {exit: {...killed, result: 'half'}}, {kind: 'fail', reason: 'claude was killed by SIGKILL before it finished.'}],
	['a non-zero code fails', {exit: {exitCode: 2, signal: null}}, {kind: 'fail', reason: 'claude exited with code 2 before it finished.'}],
	['a cancelled worker is cancelled even if it finished', {exit: clean, stopping: cancel}, {kind: 'cancel', by: 'cli', reason: 'wrong branch'}],
	[
		'a timed-out worker fails with the timeout',
		{exit: killed, stopping: {kind: 'timeout'}},
		{kind: 'fail', reason: "Timed out after 1 min 30 s; raise the task's timeout if it needs longer."},
	],
	['a worker stopped for shutdown goes back to the queue', {exit: killed, stopping: {kind: 'shutdown'}}, {kind: 'requeue'}],
	[
		'a worker recycled for its memory goes on from its conversation',
		{exit: killed, stopping: {kind: 'recycle', rssBytes: 5 * 1024 ** 3, maxRssBytes: 4 * 1024 ** 3}},
		{kind: 'recycle', reason: 'its memory reached 5120 MB, over CCFLEET_WORKER_MAX_RSS 4096 MB; it goes on from its conversation in a fresh process'},
	],
	['a worker that finished while being recycled completes', {exit: clean, stopping: {kind: 'recycle', rssBytes: 5, maxRssBytes: 4}}, {kind: 'complete'}],
	[
		'a pty worker stopped for its budget fails saying how to raise it',
		{exit: killed, stopping: {kind: 'budget', costUsd: 0.012_34, maxBudgetUsd: 0.001}},
		{kind: 'fail', reason: overBudget},
	],
	[
		'so does one that had finished its turn: the budget is a limit, like the timeout',
		{exit: clean, stopping: {kind: 'budget', costUsd: 0.012_34, maxBudgetUsd: 0.001}},
		{kind: 'fail', reason: overBudget},
	],
	[
		'a headless worker that claude stopped for its budget fails the same way',
		{exit: {exitCode: 1, signal: null, error: 'claude stopped with an error (error_max_budget_usd): …', isOverBudget: true}, task: budgeted},
		{kind: 'fail', reason: overBudget},
	],
	['a worker stopped at the usage limit is parked until the reset', {exit: killed, stopping: {kind: 'park', until: 5000}}, {kind: 'park', until: 5000}],
	[
		'a worker that exits at the usage limit is parked until its reset, not failed or retried',
		{exit: {...limited, usageLimit: {status: 'rejected', resetsAt: 9000, kind: 'five_hour'}}},
		{kind: 'park', until: 9000},
	],
	[
		'without a reset of its own, until the fleet-wide one',
		{exit: {exitCode: 1, signal: null, usageLimit: {status: 'rejected'}}, limitedUntil: 7000},
		{kind: 'park', until: 7000},
	],
	['a passing failure on the first attempt waits the base delay', {exit: limited, task: running(1)}, {kind: 'retry-later', delayMs: 10_000, reason: 'rate_limit'}],
	['the delay doubles with each attempt', {exit: limited, task: running(2)}, {kind: 'retry-later', delayMs: 20_000, reason: 'rate_limit'}],
	['a passing failure past the last attempt fails', {exit: limited, task: running(3)}, {kind: 'fail', reason: 'rate_limit'}],
	['nothing is retried while the fleet stops', {exit: limited, isTakingWork: false}, {kind: 'fail', reason: 'rate_limit'}],
];

describe('decideExit', () => {
	it.each(cases)('%s', (_name, context, expected) => {
		expect(decideExit({task: running(1), stopping: undefined, maxAttempts: 3, isTakingWork: true, retryBaseMs: 10_000, limitedUntil: undefined, ...context})).toEqual(
			expected,
		);
	});
});
