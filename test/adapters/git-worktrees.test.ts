import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {GitWorktrees} from '../../source/adapters/git/git-worktrees.js';
import {finishPlan, testRepository} from '../helpers/git-repos.js';

describe('GitWorktrees on real repositories', () => {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wt-home-'));
	const worktrees = new GitWorktrees(home);

	it('gives a task its own worktree and branch, and lands its work on the base (auto)', async () => {
		const {repo, git} = await testRepository();
		const worktree = await worktrees.create(path.join(repo), 'task1');
		expect(worktree).toMatchObject({repoRoot: repo, branch: 'ccfleet/task1', path: path.join(home, 'worktrees', 'task1')});
		writeFileSync(path.join(worktree.path, 'b.txt'), 'from the worker\n');
		expect(existsSync(path.join(repo, 'b.txt'))).toBe(false);
		const outcome = await worktrees.finish(worktree, finishPlan({strategy: 'auto'}), 'task1');
		expect(outcome).toMatchObject({merged: true, branchKept: false, summary: expect.stringMatching(/^Landed on main at [0-9a-f]{12} /)});
		expect(outcome.landedSha).toBe(await git('rev-parse', 'main'));
		expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('from the worker\n');
		expect(existsSync(worktree.path)).toBe(false);
		expect(await git('branch', '--list', 'ccfleet/*')).toBe('');
	});

	it('keeps the branch (manual) or writes a patch (patch)', async () => {
		const {repo, git} = await testRepository();
		const manual = await worktrees.create(repo, 'task2');
		writeFileSync(path.join(manual.path, 'a.txt'), 'two\n');
		expect(await worktrees.finish(manual, finishPlan({strategy: 'manual'}), 'task2')).toMatchObject({merged: false, branchKept: true});
		expect(await git('show', 'ccfleet/task2:a.txt')).toBe('two');
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('one\n');
		expect(existsSync(manual.path)).toBe(false);

		const patched = await worktrees.create(repo, 'task3');
		writeFileSync(path.join(patched.path, 'c.txt'), 'patched\n');
		const outcome = await worktrees.finish(patched, finishPlan({strategy: 'patch'}), 'task3');
		expect(outcome.patchPath).toBe(path.join(home, 'patches', 'task3.patch'));
		await git('am', outcome.patchPath!);
		expect(readFileSync(path.join(repo, 'c.txt'), 'utf8')).toBe('patched\n');
	});

	it('never lands on a checkout with uncommitted changes, nor across a conflict; the branch keeps the work', async () => {
		const {repo, git} = await testRepository();
		const first = await worktrees.create(repo, 'task4');
		writeFileSync(path.join(first.path, 'b.txt'), 'worker\n');
		writeFileSync(path.join(repo, 'a.txt'), 'uncommitted edit\n');
		expect(await worktrees.finish(first, finishPlan({strategy: 'auto'}), 'task4')).toMatchObject({
			merged: false,
			branchKept: true,
			summary: expect.stringContaining('has uncommitted changes (a.txt)'),
		});
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('uncommitted edit\n');
		expect(existsSync(path.join(repo, 'b.txt'))).toBe(false);
		expect(await git('show', 'ccfleet/task4:b.txt')).toBe('worker');

		await git('checkout', '--', 'a.txt');
		const second = await worktrees.create(repo, 'task5');
		writeFileSync(path.join(second.path, 'a.txt'), 'worker two\n');
		writeFileSync(path.join(repo, 'a.txt'), 'user edit\n');
		await git('commit', '-qam', 'user edit');
		const outcome = await worktrees.finish(second, finishPlan({strategy: 'auto'}), 'task5');
		expect(outcome).toMatchObject({merged: false, branchKept: true, conflictFiles: ['a.txt'], summary: expect.stringContaining('conflicts with main in a.txt')});
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('user edit\n');
		expect(await git('status', '--porcelain')).toBe('');
		expect(await git('show', 'ccfleet/task5:a.txt')).toBe('worker two');
		expect(existsSync(second.path)).toBe(false);
	});

	it('says so when the task changed nothing, and refuses a directory outside git', async () => {
		const {repo} = await testRepository();
		const idle = await worktrees.create(repo, 'task6');
		expect(await worktrees.finish(idle, finishPlan({strategy: 'auto'}), 'task6')).toEqual({
			strategy: 'auto',
			summary: 'The task changed no files.',
			merged: false,
			branchKept: false,
		});
		const outside = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-nogit-'));
		await expect(worktrees.create(outside, 'task7')).rejects.toThrow(/is not in a git repository/);
		await expect(worktrees.check(outside, {strategy: 'manual'})).rejects.toThrow(/is not in a git repository, so worktree isolation cannot be used\. Run `git init`/);
	});

	it('checks at submit: a commit, the base branch (recorded as the current one by default)', async () => {
		const {repo, git} = await testRepository();
		expect(await worktrees.check(repo, {strategy: 'auto'})).toEqual({base: 'main'});
		expect(await worktrees.check(path.join(repo), {strategy: 'manual'})).toEqual({});
		await git('branch', 'release');
		expect(await worktrees.check(repo, {strategy: 'auto', base: 'release'})).toEqual({base: 'release'});
		await expect(worktrees.check(repo, {strategy: 'auto', base: 'mian'})).rejects.toThrow('The base branch mian does not exist in ' + repo + '. Branches: main, release.');
		await git('checkout', '-q', '--detach');
		await expect(worktrees.check(repo, {strategy: 'auto'})).rejects.toThrow(/not on a branch \(detached HEAD\).*Give one with --base/);
		const empty = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-empty-repo-'));
		await execa('git', ['init', '-q', empty]);
		await expect(worktrees.check(empty, {strategy: 'manual'})).rejects.toThrow(/has no commit yet/);
	});

	it('lists what is left and prunes: directories always, branches only once merged unless asked', async () => {
		const {repo, git} = await testRepository();
		const kept = await worktrees.create(repo, 'task8');
		writeFileSync(path.join(kept.path, 'k.txt'), 'kept\n');
		await worktrees.finish(kept, finishPlan({strategy: 'manual'}), 'task8');
		expect(await worktrees.inspect(kept, 'main')).toEqual({directory: false, branch: true, merged: false});
		expect(await worktrees.remove(kept, {base: 'main', unmerged: false})).toEqual({directory: false, branch: true, merged: false});
		await git('merge', '-q', 'ccfleet/task8');
		expect(await worktrees.inspect(kept, 'main')).toEqual({directory: false, branch: true, merged: true});
		expect(await worktrees.remove(kept, {base: 'main', unmerged: false})).toEqual({directory: false, branch: false, merged: true});

		const left = await worktrees.create(repo, 'task9');
		writeFileSync(path.join(left.path, 'l.txt'), 'left\n');
		expect(await worktrees.inspect(left, 'main')).toEqual({directory: true, branch: true, merged: true});
		expect(await worktrees.remove(left, {base: 'main', unmerged: true})).toEqual({directory: false, branch: false, merged: true});
		expect(await git('worktree', 'list')).not.toContain('task9');
	});
});

describe('worktrees of many tasks submitted together', () => {
	it('are made and removed at once in one repository without git tripping over its own worktree records', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wt-many-'));
		const worktrees = new GitWorktrees(home);
		const {repo, git} = await testRepository();
		// git's worktree commands are not safe side by side in one repository ("failed to read .git/worktrees/…/commondir").
		const ids = Array.from({length: 16}, (_, index) => `many${index}`);
		const made = await Promise.all(ids.map(id => worktrees.create(repo, id)));
		expect(made.map(worktree => existsSync(worktree.path))).toEqual(ids.map(() => true));
		made.forEach((worktree, index) => writeFileSync(path.join(worktree.path, `f${index}.txt`), `${index}\n`));
		const outcomes = await Promise.all(made.map((worktree, index) => worktrees.finish(worktree, finishPlan({strategy: 'manual'}), ids[index]!)));
		expect(outcomes.every(outcome => outcome.branchKept)).toBe(true);
		expect(made.some(worktree => existsSync(worktree.path))).toBe(false);
		expect((await git('branch', '--list', 'ccfleet/many*')).split('\n')).toHaveLength(16);
	});
});
