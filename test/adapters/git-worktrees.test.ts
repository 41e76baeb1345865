import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {GitWorktrees} from '../../source/adapters/git/git-worktrees.js';

const identity = {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'};

async function repository(): Promise<{repo: string; git: (...args: string[]) => Promise<string>}> {
	const repo = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wt-repo-'));
	const git = async (...args: string[]) => String((await execa('git', args, {cwd: repo, env: identity})).stdout);
	await git('init', '-q', '-b', 'main');
	writeFileSync(path.join(repo, 'a.txt'), 'one\n');
	await git('add', '.');
	await git('commit', '-qm', 'first');
	return {repo, git};
}

describe('GitWorktrees on real repositories', () => {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wt-home-'));
	const worktrees = new GitWorktrees(home);

	it('gives a task its own worktree and branch, and merges its work back (auto)', async () => {
		const {repo, git} = await repository();
		const worktree = await worktrees.create(path.join(repo), 'task1');
		expect(worktree).toMatchObject({repoRoot: repo, branch: 'ccfleet/task1', path: path.join(home, 'worktrees', 'task1')});
		writeFileSync(path.join(worktree.path, 'b.txt'), 'from the worker\n');
		expect(existsSync(path.join(repo, 'b.txt'))).toBe(false);
		const outcome = await worktrees.finish(worktree, 'auto', 'task1');
		expect(outcome).toMatchObject({merged: true, branchKept: false, summary: `Merged into ${repo}.`});
		expect(readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('from the worker\n');
		expect(existsSync(worktree.path)).toBe(false);
		expect(await git('branch', '--list', 'ccfleet/*')).toBe('');
	});

	it('keeps the branch (manual) or writes a patch (patch)', async () => {
		const {repo, git} = await repository();
		const manual = await worktrees.create(repo, 'task2');
		writeFileSync(path.join(manual.path, 'a.txt'), 'two\n');
		expect(await worktrees.finish(manual, 'manual', 'task2')).toMatchObject({merged: false, branchKept: true});
		expect(await git('show', 'ccfleet/task2:a.txt')).toBe('two');
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('one\n');

		const patched = await worktrees.create(repo, 'task3');
		writeFileSync(path.join(patched.path, 'c.txt'), 'patched\n');
		const outcome = await worktrees.finish(patched, 'patch', 'task3');
		expect(outcome.patchPath).toBe(path.join(home, 'patches', 'task3.patch'));
		await git('am', outcome.patchPath!);
		expect(readFileSync(path.join(repo, 'c.txt'), 'utf8')).toBe('patched\n');
	});

	it('does not merge into a checkout with uncommitted changes, nor across a conflict; the branch keeps the work', async () => {
		const {repo, git} = await repository();
		const first = await worktrees.create(repo, 'task4');
		writeFileSync(path.join(first.path, 'a.txt'), 'worker\n');
		writeFileSync(path.join(repo, 'local.txt'), 'uncommitted\n');
		expect(await worktrees.finish(first, 'auto', 'task4')).toMatchObject({merged: false, branchKept: true, summary: expect.stringContaining('has uncommitted changes')});

		await git('add', '.');
		await git('commit', '-qm', 'local');
		const second = await worktrees.create(repo, 'task5');
		writeFileSync(path.join(second.path, 'a.txt'), 'worker two\n');
		writeFileSync(path.join(repo, 'a.txt'), 'user edit\n');
		await git('commit', '-qam', 'user edit');
		const outcome = await worktrees.finish(second, 'auto', 'task5');
		expect(outcome).toMatchObject({merged: false, branchKept: true, summary: expect.stringContaining('conflicts')});
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('user edit\n');
		expect(await git('status', '--porcelain')).toBe('');
	});

	it('says so when the task changed nothing, and refuses a directory outside git', async () => {
		const {repo} = await repository();
		const idle = await worktrees.create(repo, 'task6');
		expect(await worktrees.finish(idle, 'auto', 'task6')).toEqual({strategy: 'auto', summary: 'The task changed no files.', merged: false, branchKept: false});
		await expect(worktrees.create(mkdtempSync(path.join(os.tmpdir(), 'ccfleet-nogit-')), 'task7')).rejects.toThrow(/is not in a git repository/);
	});
});
