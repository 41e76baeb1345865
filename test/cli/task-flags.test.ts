import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {CliError} from '../../source/cli/client.js';
import {specFromFlags, TASK_FLAGS, taskFlagsHelp, taskMeowFlags} from '../../source/cli/task-flags.js';
import {TASK_SPEC_FIELDS} from '../../source/core/domain/task-spec.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-flags-'));

describe('task flags, made from the task spec', () => {
	it('has a flag for every field but the prompt, and the help shows each', () => {
		expect(TASK_FLAGS.map(flag => flag.field).sort()).toEqual(TASK_SPEC_FIELDS.filter(field => field !== 'prompt').sort());
		const help = taskFlagsHelp();
		for (const option of [
			'--cwd <dir>',
			'--priority, -p <P0|P1|P2>',
			'--timeout <duration>',
			'--max-output <size>',
			'--max-budget-usd <usd>',
			'--depends-on <ids>',
			'--continue-from <id>',
			'--merge-strategy <manual|patch|auto|pr>',
			'--base <text>',
			'--verify <text>',
		]) {
			expect(help).toContain(option);
		}
		expect(taskMeowFlags()['dependsOn']).toMatchObject({type: 'string', isMultiple: true});
	});

	it('reads durations, sizes, lists and choices into a spec', () => {
		const spec = specFromFlags(
			{
				cwd: dir,
				priority: 'p0',
				timeout: '90s',
				maxOutput: '5MB',
				maxBudgetUsd: '$2.50',
				dependsOn: ['a,b', 'c'],
				mode: 'HEADLESS',
				isolation: 'worktree',
				mergeStrategy: 'patch',
				model: 'opus',
			},
			'do it',
		);
		expect(spec).toEqual({
			prompt: 'do it',
			cwd: dir,
			priority: 'P0',
			timeoutMs: 90_000,
			maxOutputBytes: 5 * 1024 ** 2,
			maxBudgetUsd: 2.5,
			dependsOn: ['a', 'b', 'c'],
			mode: 'headless',
			isolation: 'worktree',
			mergeStrategy: 'patch',
			model: 'opus',
		});
	});

	it.each([
		[{priority: 'P7'}, '--priority P7 is not one of P0, P1, P2.'],
		[{timeout: 'soon'}, '--timeout is "soon"'],
		[{maxOutput: 'lots'}, '--max-output is "lots"'],
		[{maxBudgetUsd: 'free'}, '--max-budget-usd is "free"; give an amount in USD above 0'],
		[{maxBudgetUsd: '20000'}, 'The budget must be a positive amount in USD, at most 10000, got 20000.'],
		[{mergeStrategy: 'auto'}, 'A merge strategy applies only with isolation "worktree"'],
		[{cwd: '/no/such/dir'}, '--cwd /no/such/dir is not an existing directory'],
	])('refuses %j with a message naming the flag', (flags, message) => {
		const run = () => specFromFlags({cwd: dir, ...flags}, 'x');
		expect(run).toThrow(CliError);
		expect(run).toThrow(message);
	});
});
