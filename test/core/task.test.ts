import {describe, expect, it} from 'vitest';
import {IllegalTransitionError} from '../../source/core/domain/errors.js';
import {canTransition, createTask, isTerminal, TASK_STATUSES, transition, type TaskStatus} from '../../source/core/domain/task.js';

const defaults = {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 1000} as const;
const make = () => createTask({prompt: 'p', cwd: '/tmp'}, {id: 't1', sessionId: 's1'}, 100, defaults);

describe('task status transitions', () => {
	it('lets a task go queued → running → needs_input → running → completed', () => {
		let task = make();
		task = transition(task, 'running', 200);
		expect(task.startedAt).toBe(200);
		task = transition(task, 'needs_input', 300);
		task = transition(task, 'running', 400);
		task = transition(task, 'completed', 500, {result: 'done'});
		expect(task).toMatchObject({status: 'completed', endedAt: 500, result: 'done', startedAt: 200, updatedAt: 500});
	});

	it('never leaves a terminal status', () => {
		for (const end of ['completed', 'failed', 'cancelled'] as const) {
			expect(isTerminal(end)).toBe(true);
			for (const to of TASK_STATUSES) {
				if (to !== end) expect(canTransition(end, to)).toBe(false);
			}
		}
	});

	it('refuses a queued task jumping to completed or needs_input', () => {
		expect(() => transition(make(), 'completed', 1)).toThrow(IllegalTransitionError);
		expect(() => transition(make(), 'needs_input', 1)).toThrow(/cannot go from queued to needs_input/);
	});

	it('lets a lost running task go back to the queue', () => {
		const running = transition(make(), 'running', 2);
		const legal: TaskStatus[] = ['needs_input', 'completed', 'failed', 'cancelled', 'queued'];
		for (const to of legal) expect(canTransition(running.status, to)).toBe(true);
	});

	it('fills defaults and starts with no attempts, cost or tokens', () => {
		expect(make()).toEqual({
			id: 't1',
			prompt: 'p',
			cwd: '/tmp',
			priority: 'P1',
			status: 'queued',
			permissionMode: 'acceptEdits',
			timeoutMs: 1000,
			sessionId: 's1',
			mode: 'pty',
			createdAt: 100,
			updatedAt: 100,
			attempts: 0,
			costUsd: 0,
			tokens: {input: 0, output: 0, cacheRead: 0, cacheCreation: 0},
		});
	});
});
