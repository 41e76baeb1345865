import {existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterEach, describe, expect, it} from 'vitest';
import {GitWorktrees} from '../../source/adapters/git/git-worktrees.js';
import {LandingQueue} from '../../source/core/fleet/landing-queue.js';
import {finishPlan, ghStandIn, testRepository} from '../helpers/git-repos.js';

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-mq-home-'));
const worktrees = new GitWorktrees(home, {verifyTimeoutMs: 60_000});
const originalPath = process.env['PATH'];

afterEach(() => {
	process.env['PATH'] = originalPath;
});

/** Subjects of the base branch's commits, oldest first. */
async function history(git: (...args: string[]) => Promise<string>, branch = 'main'): Promise<string[]> {
	return (await git('log', '--reverse', '--format=%s', branch)).split('\n');
}

describe('the merge queue on a real repository (auto)', () => {
	it('lands three parallel tasks that edit different files, one at a time in the order they finish, rebased onto each other', async () => {
		const {repo, git} = await testRepository();
		const tasks = ['mq1', 'mq2', 'mq3'];
		const made = await Promise.all(tasks.map(id => worktrees.create(repo, id)));
		made.forEach((worktree, index) => writeFileSync(path.join(worktree.path, `file-${index + 1}.txt`), `from ${tasks[index]}\n`));
		const queue = new LandingQueue();
		const plans = tasks.map(() => finishPlan({strategy: 'auto', verify: 'ls file-*.txt'}));
		// Handed in at once, as three tasks completing together would be; the queue serialises them.
		const outcomes = await Promise.all(made.map((worktree, index) => queue.run(repo, () => worktrees.finish(worktree, plans[index]!, tasks[index]!))));
		expect(outcomes.map(outcome => outcome.merged)).toEqual([true, true, true]);
		expect(await history(git)).toEqual(['first', 'ccfleet task mq1', 'ccfleet task mq2', 'ccfleet task mq3']);
		for (const index of [1, 2, 3]) expect(readFileSync(path.join(repo, `file-${index}.txt`), 'utf8')).toBe(`from mq${index}\n`);
		// Each was verified on top of the ones before it: the third saw all three files.
		expect(plans[2]!.lines).toEqual(expect.arrayContaining(['verifying before landing on main: ls file-*.txt', '  file-1.txt', '  file-2.txt', '  file-3.txt']));
		expect(await git('branch', '--list', 'ccfleet/*')).toBe('');
		expect(made.some(worktree => existsSync(worktree.path))).toBe(false);
		expect(await git('status', '--porcelain')).toBe('');
	});

	it('of two conflicting tasks lands the first and keeps the second on its branch, naming the conflict; the queue goes on', async () => {
		const {repo, git} = await testRepository();
		const [first, second, third] = await Promise.all(['c1', 'c2', 'c3'].map(id => worktrees.create(repo, id)));
		writeFileSync(path.join(first!.path, 'a.txt'), 'first version\n');
		writeFileSync(path.join(second!.path, 'a.txt'), 'second version\n');
		writeFileSync(path.join(third!.path, 'other.txt'), 'unrelated\n');
		const queue = new LandingQueue();
		const [one, two, three] = await Promise.all([
			queue.run(repo, () => worktrees.finish(first!, finishPlan({strategy: 'auto'}), 'c1')),
			queue.run(repo, () => worktrees.finish(second!, finishPlan({strategy: 'auto'}), 'c2')),
			queue.run(repo, () => worktrees.finish(third!, finishPlan({strategy: 'auto'}), 'c3')),
		]);
		expect(one.merged).toBe(true);
		expect(two).toMatchObject({merged: false, branchKept: true, conflictFiles: ['a.txt']});
		expect(two.summary).toBe('Not merged: it conflicts with main in a.txt. The work is on branch ccfleet/c2: rebase it onto main and resolve, or merge by hand.');
		expect(three.merged).toBe(true);
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('first version\n');
		expect(await git('show', 'ccfleet/c2:a.txt')).toBe('second version');
		expect(await history(git)).toEqual(['first', 'ccfleet task c1', 'ccfleet task c3']);
		// Not a commit lost: the kept branch still has the worker's.
		expect(await git('log', '--format=%s', '-1', 'ccfleet/c2')).toBe('ccfleet task c2');
	});

	it("does not land work whose verification fails (the task's command, or the repository's git config ccfleet.verify)", async () => {
		const {repo, git} = await testRepository();
		const failing = await worktrees.create(repo, 'v1');
		writeFileSync(path.join(failing.path, 'broken.txt'), 'broken\n');
		const plan = finishPlan({strategy: 'auto', verify: 'echo "1 test failed: parser"; exit 3'});
		const outcome = await worktrees.finish(failing, plan, 'v1');
		expect(outcome).toMatchObject({merged: false, branchKept: true});
		expect(outcome.summary).toBe(
			'Not merged: the verification `echo "1 test failed: parser"; exit 3` failed (exit 3): 1 test failed: parser. The work is on branch ccfleet/v1, rebased onto main.',
		);
		expect(plan.lines).toContain('  1 test failed: parser');
		expect(existsSync(path.join(repo, 'broken.txt'))).toBe(false);

		await git('config', 'ccfleet.verify', 'test -f required.txt');
		const missing = await worktrees.create(repo, 'v2');
		writeFileSync(path.join(missing.path, 'b.txt'), 'b\n');
		expect((await worktrees.finish(missing, finishPlan({strategy: 'auto'}), 'v2')).summary).toContain('the verification `test -f required.txt` failed (exit 1)');
		const present = await worktrees.create(repo, 'v3');
		writeFileSync(path.join(present.path, 'required.txt'), 'here\n');
		expect(await worktrees.finish(present, finishPlan({strategy: 'auto'}), 'v3')).toMatchObject({merged: true});
		expect(await history(git)).toEqual(['first', 'ccfleet task v3']);
	});

	it('lands on a base branch no checkout has (a compare-and-swap of the ref), leaving the checkout on its own branch alone', async () => {
		const {repo, git} = await testRepository();
		await git('branch', 'release');
		const worktree = await worktrees.create(repo, 'r1');
		writeFileSync(path.join(worktree.path, 'fix.txt'), 'fix\n');
		writeFileSync(path.join(repo, 'a.txt'), 'uncommitted on main\n');
		const outcome = await worktrees.finish(worktree, finishPlan({strategy: 'auto', base: 'release'}), 'r1');
		expect(outcome).toMatchObject({merged: true, landedSha: await git('rev-parse', 'release')});
		expect(await history(git, 'release')).toEqual(['first', 'ccfleet task r1']);
		expect(await history(git, 'main')).toEqual(['first']);
		expect(readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('uncommitted on main\n');
	});
});

describe('pull requests (pr) with a real bare remote and a gh stand-in', () => {
	it('pushes the branch to the remote and calls gh pr create with the base, the head, the title and the body', async () => {
		const {repo, git, origin} = await testRepository({remote: true});
		const gh = ghStandIn();
		process.env['PATH'] = `${gh.bin}:${originalPath}`;
		expect(await worktrees.check(repo, {strategy: 'pr'})).toEqual({base: 'main'});
		const worktree = await worktrees.create(repo, 'pr1');
		writeFileSync(path.join(worktree.path, 'feature.txt'), 'feature\n');
		const plan = finishPlan({strategy: 'pr', base: 'main', pullRequest: {title: 'Add the feature', body: '## Task\n\nAdd the feature'}});
		const outcome = await worktrees.finish(worktree, plan, 'pr1');
		expect(outcome).toEqual({
			strategy: 'pr',
			summary: 'Pull request opened: https://github.com/example/project/pull/1 (ccfleet/pr1 → main).',
			merged: false,
			branchKept: true,
			pullRequestUrl: 'https://github.com/example/project/pull/1',
		});
		// The branch really reached the remote, with the worker's commit.
		const remoteLog = await execa('git', ['--git-dir', origin!, 'log', '--format=%s', '-1', 'ccfleet/pr1']);
		expect(remoteLog.stdout).toBe('ccfleet task pr1');
		const calls = readFileSync(gh.callsFile, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {args: string[]; body: string; cwd: string});
		expect(calls).toEqual([
			{
				args: ['pr', 'create', '--base', 'main', '--head', 'ccfleet/pr1', '--title', 'Add the feature', '--body-file', '-'],
				body: '## Task\n\nAdd the feature',
				cwd: repo,
			},
		]);
		expect(plan.lines).toContain('pushed ccfleet/pr1 to origin');
		expect(existsSync(worktree.path)).toBe(false);
		expect(await git('branch', '--list', 'ccfleet/pr1')).toContain('ccfleet/pr1');
	});

	it('is refused at submit without gh, with gh logged out, or without a remote — each saying what to do', async () => {
		const {repo: withRemote} = await testRepository({remote: true});
		// A PATH with git and nothing else: no gh to find.
		const onlyGit = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-nogh-'));
		symlinkSync((await execa('sh', ['-c', 'command -v git'])).stdout, path.join(onlyGit, 'git'));
		process.env['PATH'] = onlyGit;
		await expect(worktrees.check(withRemote, {strategy: 'pr'})).rejects.toThrow(
			'Merge strategy pr opens the pull request with the GitHub CLI, gh, which is not installed (or not on PATH). Install it (https://cli.github.com) and run `gh auth login`, or use another merge strategy.',
		);
		const gh = ghStandIn();
		gh.logOut();
		process.env['PATH'] = `${gh.bin}:${originalPath}`;
		await expect(worktrees.check(withRemote, {strategy: 'pr'})).rejects.toThrow(
			'gh is not logged in (You are not logged into any GitHub hosts. To log in, run: gh auth login). Run `gh auth login`, or use another merge strategy.',
		);
		const {repo: noRemote} = await testRepository();
		await expect(worktrees.check(noRemote, {strategy: 'pr'})).rejects.toThrow(
			/has no remote to push the branch to \(merge strategy pr\)\. Add one \(git remote add origin <url>\)/,
		);
	});
});

describe('landing after a stop cut it short', () => {
	it('checks the branch out again when its directory is gone, and lands it; one already landed is not landed twice', async () => {
		const {repo, git} = await testRepository();
		const worktree = await worktrees.create(repo, 'cut1');
		writeFileSync(path.join(worktree.path, 'cut.txt'), 'cut\n');
		await git('-C', worktree.path, 'add', '.');
		await git('-C', worktree.path, 'commit', '-qm', 'ccfleet task cut1');
		await git('worktree', 'remove', '--force', worktree.path);
		const outcome = await worktrees.finish(worktree, finishPlan({strategy: 'auto'}), 'cut1');
		expect(outcome).toMatchObject({merged: true});
		expect(await history(git)).toEqual(['first', 'ccfleet task cut1']);

		// Landed, but the stop came before the branch was deleted and the outcome written.
		const landed = await worktrees.create(repo, 'cut2');
		writeFileSync(path.join(landed.path, 'twice.txt'), 'once\n');
		await git('-C', landed.path, 'add', '.');
		await git('-C', landed.path, 'commit', '-qm', 'ccfleet task cut2');
		await git('worktree', 'remove', '--force', landed.path);
		await git('merge', '-q', '--ff-only', 'ccfleet/cut2');
		expect(await worktrees.finish(landed, finishPlan({strategy: 'auto'}), 'cut2')).toMatchObject({merged: true});
		expect(await history(git)).toEqual(['first', 'ccfleet task cut1', 'ccfleet task cut2']);
		expect(await git('branch', '--list', 'ccfleet/*')).toBe('');
		expect(existsSync(landed.path)).toBe(false);
	});
});
