import {describe, expect, it} from 'vitest';
import {formatAdmission, formatTask, formatTaskTable} from '../../source/cli/format.js';
import type {TaskView} from '../../source/protocol/views.js';
import {fleetStatus, taskView} from '../fakes/task-views.js';

const now = Date.parse('2026-11-30T12:00:00Z');

const task = (id: string, extra: Partial<TaskView> = {}): TaskView => taskView(id, now, extra);

describe('ccfleet status with several hosts', () => {
	it('shows a HOST column only when the tasks are on more than one host; a pinned task nobody holds shows its pin', () => {
		const one = formatTaskTable([task('a1', {host: 'a'}), task('a2', {host: 'a'})], 80, now);
		expect(one.split('\n')[0]).not.toContain('HOST');
		const several = formatTaskTable([task('a1', {host: 'a'}), task('b1', {host: 'b'}), task('q1', {status: 'queued', pin: {label: 'big-ram'}})], 80, now).split('\n');
		expect(several[0]).toMatch(/^ID\s+STATUS\s+PRI\s+HOST\s+AGE\s+COST\s+PROMPT$/);
		expect(several[1]).toMatch(/^a1\s+running\s+P1\s+a\s+/);
		expect(several[2]).toMatch(/^b1\s+running\s+P1\s+b\s+/);
		expect(several[3]).toMatch(/^q1\s+queued\s+P1\s+→\[big-ram\]\s+/);
		for (const line of several) expect(line.length).toBeLessThanOrEqual(80);
	});

	it("shows a task's host and pin in its details", () => {
		const text = formatTask(task('c1', {host: 'c', pin: {host: 'c'}}));
		expect(text).toMatch(/^host\s+c$/m);
		expect(text).toMatch(/^pinned to\s+host c$/m);
		expect(formatTask(task('b1', {pin: {label: 'big-ram'}}))).toMatch(/^pinned to\s+a host with label big-ram$/m);
		expect(formatTask(task('g1', {status: 'queued', pin: {label: 'gpu'}, waitingFor: 'a host with label gpu'}))).toMatch(
			/^pinned to\s+a host with label gpu: no live host fits; it waits for a host with label gpu$/m,
		);
		expect(formatTask(task('x'))).not.toMatch(/^(host|pinned to) /m);
	});

	it('lists the hosts under the workers line, a silent one as down', () => {
		const status = fleetStatus({
			workers: {running: 2, allowed: 4},
			hosts: [
				{id: 'a', labels: [], heartbeatAt: new Date(now).toISOString(), workers: 1},
				{id: 'b', labels: ['big-ram'], heartbeatAt: new Date(now).toISOString(), workers: 1},
				{id: 'c', labels: [], heartbeatAt: new Date(now - 60_000).toISOString(), workers: 0, down: true},
			],
		});
		expect(formatAdmission(status, now).split('\n').at(-1)).toBe('hosts: a 1 running · b [big-ram] 1 running · c down');
	});
});
