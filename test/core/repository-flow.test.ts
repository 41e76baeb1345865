import {describe, expect, it} from 'vitest';
import {fakeFleetPorts} from '../fakes/fake-fleet-ports.js';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {pullRequestText} from '../../source/core/domain/pull-request-text.js';
import {checkTaskSpec} from '../../source/core/domain/task-input.js';
import {LandingQueue} from '../../source/core/fleet/landing-queue.js';
import {createTask, type Task} from '../../source/core/domain/task.js';
import {createFleet} from '../../source/core/fleet.js';
import type {Workspaces, Worktree} from '../../source/core/ports/workspace.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';

describe('merge settings of a task', () => {
	it.each([
		[{isolation: 'worktree', mergeStrategy: 'manual', base: 'main'}, 'A base branch applies only to merge strategy auto or pr'],
		[{isolation: 'worktree', base: 'main'}, 'A base branch applies only to merge strategy auto or pr'],
		[{isolation: 'worktree', mergeStrategy: 'pr', verify: 'npm test'}, 'A verify command applies only to merge strategy auto'],
		[{mergeStrategy: 'pr'}, 'A merge strategy applies only with isolation "worktree"'],
		[
			{isolation: 'worktree', mergeStrategy: 'auto', base: '-rf'},
			'The base branch must be a branch name such as "main" (no spaces, no "..", not starting with "-"), got "-rf".',
		],
		[{isolation: 'worktree', mergeStrategy: 'auto', base: 'a..b'}, 'The base branch must be a branch name such as "main"'],
		[{isolation: 'worktree', mergeStrategy: 'merge'}, 'Unknown merge strategy "merge"; use one of manual, patch, auto, pr.'],
	])('refuses %j, saying what goes with what', (settings, message) => {
		const spec = {prompt: 'p', cwd: '/w', ...settings};
		expect(() => checkTaskSpec(spec)).toThrow(InvalidInputError);
		expect(() => checkTaskSpec(spec)).toThrow(message);
	});

	it('takes a base and a verify command with auto, a base with pr', () => {
		expect(checkTaskSpec({prompt: 'p', cwd: '/w', isolation: 'worktree', mergeStrategy: 'auto', base: 'release/2.x', verify: 'npm test'})).toMatchObject({
			base: 'release/2.x',
			verify: 'npm test',
		});
		expect(checkTaskSpec({prompt: 'p', cwd: '/w', isolation: 'worktree', mergeStrategy: 'pr', base: 'main'}).base).toBe('main');
	});
});

describe('a pull request from its task', () => {
	it("titles it with the prompt's first line (cut to fit) and tells the prompt and the result in the body", () => {
		const text = pullRequestText({
			id: 't7',
			prompt: 'Fix the parser so that empty lines are skipped\n\nDetails: see src/parse.ts',
			result: 'Skipped empty lines; added a test.',
		});
		expect(text.title).toBe('Fix the parser so that empty lines are skipped');
		expect(text.body).toBe(
			'## Task\n\nFix the parser so that empty lines are skipped\n\nDetails: see src/parse.ts\n\n## Result\n\nSkipped empty lines; added a test.\n\n---\nOpened by ccfleet for task t7.',
		);
		const long = pullRequestText({id: 't8', prompt: `${'word '.repeat(40)}`});
		expect(long.title.length).toBeLessThanOrEqual(72);
		expect(long.title.endsWith('…')).toBe(true);
		expect(long.body).not.toContain('## Result');
	});
});

describe('the merge queue', () => {
	it('lands one task at a time per repository, in the order they arrive, and goes on after a failure', async () => {
		const queue = new LandingQueue();
		const events: string[] = [];
		const release = new Map<string, () => void>();
		const landing =
			(name: string, fails = false) =>
			() =>
				new Promise<string>((resolve, reject) => {
					events.push(`start ${name}`);
					release.set(name, () => {
						events.push(`end ${name}`);
						if (fails) reject(new Error(`${name} failed`));
						else resolve(name);
					});
				});
		const a = queue.run('/repo', landing('a', true));
		const b = queue.run('/repo', landing('b'));
		const other = queue.run('/other', landing('other'));
		const c = queue.run('/repo', landing('c'));
		await Promise.resolve();
		expect(queue.waiting('/repo')).toBe(3);
		expect(queue.waiting()).toBe(4);
		// Another repository lands at the same time; this one waits for a.
		await waitUntil(() => events.includes('start other'));
		expect(events).toEqual(['start a', 'start other']);
		release.get('a')!();
		await expect(a).rejects.toThrow('a failed');
		await waitUntil(() => events.includes('start b'));
		release.get('other')!();
		await expect(other).resolves.toBe('other');
		release.get('b')!();
		await expect(b).resolves.toBe('b');
		await waitUntil(() => events.includes('start c'));
		release.get('c')!();
		await expect(c).resolves.toBe('c');
		expect(events.filter(event => !event.includes('other'))).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
		expect(queue.waiting()).toBe(0);
	});
});

async function waitUntil(condition: () => boolean): Promise<void> {
	for (let turn = 0; turn < 100 && !condition(); turn++) await new Promise(resolve => setImmediate(resolve));
	expect(condition()).toBe(true);
}

describe('landings left unsettled by a stop', () => {
	it('are settled at the next start in the order the tasks ended, a dependency before its dependent; settled ones are left alone', async () => {
		const store = new MemoryTaskStore();
		const worktree = (id: string): Worktree => ({repoRoot: '/repo', path: `/state/worktrees/${id}`, branch: `ccfleet/${id}`, baseSha: 'base'});
		const ended = (id: string, endedAt: number, extra: Partial<Task> = {}): Task => ({
			...createTask({prompt: id, cwd: '/repo', isolation: 'worktree', mergeStrategy: 'auto'}, {id, sessionId: `s-${id}`}, 0, {
				priority: 'P1',
				permissionMode: 'acceptEdits',
				mode: 'pty',
				timeoutMs: 1000,
			}),
			status: 'completed',
			attempts: 1,
			endedAt,
			worktree: worktree(id),
			checkpoint: {takenAt: endedAt, outputTail: [], sessionId: `s-${id}`},
			...extra,
		});
		// b ended first but depends on a; c was settled before the stop.
		store.insert(ended('a', 300));
		store.insert(ended('b', 100, {dependsOn: ['a']}));
		store.insert(ended('c', 50, {merge: {strategy: 'auto', summary: 'Landed.', merged: true, branchKept: false}}));
		store.insert(ended('d', 200));
		const order: string[] = [];
		const workspaces: Workspaces = {
			check: async () => ({}),
			create: async (_cwd, id) => worktree(id),
			reopen: async found => found,
			inspect: async () => ({directory: false, branch: false, merged: true}),
			remove: async () => ({directory: false, branch: false, merged: true}),
			finish: async (_worktree, plan, id) => {
				order.push(`${id} ${plan.strategy}`);
				return {strategy: plan.strategy, summary: `landed ${id}`, merged: true, branchKept: false};
			},
		};
		const fleet = createFleet(fakeFleetPorts({store, workspaces}), {staggerMs: 0});
		await fleet.start();
		await waitUntil(() => order.length === 3);
		// b ended first, so its chain goes first: a (which it depends on), then b; then d.
		expect(order).toEqual(['a auto', 'b auto', 'd auto']);
		await waitUntil(() => store.get('b')!.merge !== undefined);
		expect(store.get('a')!.merge!.summary).toBe('landed a');
		expect(store.get('c')!.merge!.summary).toBe('Landed.');
		await fleet.stop();
	});
});
