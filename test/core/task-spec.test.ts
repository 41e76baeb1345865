import {describe, expect, it} from 'vitest';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {createTask} from '../../source/core/domain/task.js';
import {parseTaskSpec, specOf, TASK_SPEC_FIELDS, type TaskSpec} from '../../source/core/domain/task-spec.js';

const every: TaskSpec = {
	prompt: 'p',
	cwd: '/w',
	priority: 'P2',
	timeoutMs: 1000,
	maxOutputBytes: 2048,
	maxBudgetUsd: 0.5,
	dependsOn: ['a'],
	continueFrom: 'b',
	onDependencyFailure: 'skip',
	role: 'reviewer',
	mode: 'headless',
	isolation: 'worktree',
	mergeStrategy: 'auto',
	base: 'main',
	verify: 'npm test',
	model: 'opus',
	permissionMode: 'plan',
	allow: ['Bash(npm test:*)'],
	deny: ['Bash(rm:*)'],
	host: 'build-1',
	label: 'big-ram',
};

describe('the task spec', () => {
	it('names every field a task can ask for, and the example above sets each of them', () => {
		expect(Object.keys(every).sort()).toEqual([...TASK_SPEC_FIELDS].sort());
	});

	it('comes back whole from a task made from it (specOf), with copies of its lists', () => {
		const task = createTask(every, {id: 't1', sessionId: 's1'}, 0, {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 5});
		const spec = specOf(task);
		expect(spec).toEqual(every);
		spec.dependsOn!.push('c');
		expect(task.dependsOn).toEqual(['a']);
	});

	it.each([
		[{prompt: 'p', cwd: '/w', priority: 'P9'}, 'Unknown priority "P9"; use one of P0, P1, P2.'],
		[{prompt: 'p', cwd: '/w', mode: 'turbo'}, 'Unknown worker mode "turbo"; use one of pty, headless.'],
		[{prompt: 'p', cwd: '/w', timeoutMs: -5}, 'The timeout must be a positive number of milliseconds, at most 604800000 (7 days), got -5.'],
		[{prompt: 'p', cwd: '/w', maxOutputBytes: 0.5}, 'The output cap must be a positive whole number of bytes, at most 1073741824 (1 GiB), got 0.5.'],
		[{prompt: 'p', cwd: '/w', maxBudgetUsd: 0}, 'The budget must be a positive amount in USD, at most 10000, got 0.'],
		[{prompt: 'p', cwd: '/w', timeout: 5}, 'Unknown field timeout. Did you mean timeoutMs?'],
		[{prompt: 'p', cwd: '/w', permisionMode: 'plan'}, 'Did you mean permissionMode?'],
		[{prompt: 'p', cwd: '/w', colour: 'red'}, 'Unknown field colour. Accepted: prompt, cwd,'],
		[{prompt: 'p', cwd: '/w', deny: ['Read', 'WebFetch(x.com)']}, 'deny[1]: "WebFetch(x.com)": a WebFetch rule names a domain, as in WebFetch(domain:docs.example.com).'],
	])('refuses %j naming the field and what is accepted', (input, message) => {
		expect(() => parseTaskSpec(input)).toThrow(InvalidInputError);
		expect(() => parseTaskSpec(input)).toThrow(message);
	});
});
