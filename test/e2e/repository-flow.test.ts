import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {GIT_IDENTITY, ghStandIn} from '../helpers/git-repos.js';
import {waitFor} from '../helpers/wait-for.js';

// Parallel work on one repository, to the end, with the real claude on the mock API: isolated workers whose work
// lands through the merge queue (verified, one at a time), or goes out as a pull request, and nothing left behind.
let sandbox: Sandbox;
let origin: string;
let gh: ReturnType<typeof ghStandIn>;
const git = async (...args: string[]) => (await execa('git', args, {cwd: sandbox.project, env: GIT_IDENTITY})).stdout;

beforeAll(async () => {
	gh = ghStandIn();
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', PATH: `${gh.bin}:${process.env['PATH']}`});
	await git('init', '-q', '-b', 'main');
	await execa('sh', ['-c', 'echo project > README'], {cwd: sandbox.project});
	await git('add', '.');
	await git('commit', '-qm', 'first');
	origin = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-e2e-origin-'));
	await execa('git', ['init', '-q', '--bare', '-b', 'main', origin]);
	await git('remote', 'add', 'origin', origin);
	await git('push', '-q', '-u', 'origin', 'main');
	await sandbox.startDaemon();
}, 60_000);

afterAll(async () => {
	await sandbox?.cleanup();
});

/** `ccfleet delegate` with the flags; the new task's id. */
async function delegate(prompt: string, flags: string[]): Promise<string> {
	const result = await sandbox.cli(['delegate', '--isolation', 'worktree', '--allow', 'Bash', ...flags, prompt]);
	expect(result.exitCode, result.stderr).toBe(0);
	return result.stdout.trim();
}

async function status(id: string): Promise<TaskView> {
	const result = await sandbox.cli(['status', id, '--json']);
	return JSON.parse(result.stdout) as TaskView;
}

/** Waits until the task ended and its worktree was settled (landed, kept, proposed). */
async function settled(id: string): Promise<TaskView> {
	return waitFor(
		`task ${id} to end and settle its worktree`,
		async () => {
			const task = await status(id);
			return task.merge ? task : undefined;
		},
		180_000,
		250,
	);
}

describe('the repository flow with the real claude', () => {
	it('lands three parallel tasks through the merge queue, each verified, and leaves no worktree behind', async () => {
		const ids = [];
		for (const n of [1, 2, 3])
			ids.push(await delegate(`Write file ${n} [[tool:bash:echo ${n} > file-${n}.txt]]`, ['--merge-strategy', 'auto', '--verify', `test -f file-${n}.txt`]));
		const done = await Promise.all(ids.map(settled));
		for (const task of done) {
			expect(task).toMatchObject({status: 'completed', base: 'main', verify: expect.stringMatching(/^test -f file-\d\.txt$/), merge: {strategy: 'auto', merged: true}});
			expect(task.merge!.summary).toMatch(/^Landed on main at [0-9a-f]{12} \(rebased onto [0-9a-f]{12}, verified with `test -f file-\d\.txt`\)\.$/);
		}
		const subjects = (await git('log', '--reverse', '--format=%s', 'main')).split('\n');
		expect(subjects[0]).toBe('first');
		expect([...subjects.slice(1)].sort()).toEqual(ids.map(id => `ccfleet task ${id}`).sort());
		for (const n of [1, 2, 3]) expect(readFileSync(path.join(sandbox.project, `file-${n}.txt`), 'utf8')).toBe(`${n}\n`);
		expect(await git('status', '--porcelain')).toBe('');
		expect(await git('branch', '--list', 'ccfleet/*')).toBe('');
		expect(readdirSync(path.join(sandbox.home, 'worktrees'))).toEqual([]);
		const listed = await sandbox.cli(['worktrees']);
		expect(listed.stdout).toBe('No task has a worktree or branch left.');
		// The landing is in each task's log.
		const logs = await sandbox.cli(['logs', ids[0]!]);
		expect(logs.stdout).toContain('[ccfleet] verifying before landing on main: test -f file-1.txt');
	});

	it('of two parallel tasks that change the same file, lands the first to finish and keeps the other on its branch, naming the file', async () => {
		const ids = [];
		for (const word of ['left', 'right']) ids.push(await delegate(`Write ${word} [[tool:bash:echo ${word} > shared.txt]]`, ['--merge-strategy', 'auto']));
		const done = await Promise.all(ids.map(settled));
		const landed = done.filter(task => task.merge!.merged);
		const kept = done.filter(task => !task.merge!.merged);
		expect(landed).toHaveLength(1);
		expect(kept).toHaveLength(1);
		expect(kept[0]!.merge).toMatchObject({branchKept: true, conflictFiles: ['shared.txt']});
		expect(kept[0]!.merge!.summary).toContain('conflicts with main in shared.txt');
		const winner = landed[0]!.prompt.includes('left') ? 'left' : 'right';
		expect(readFileSync(path.join(sandbox.project, 'shared.txt'), 'utf8')).toBe(`${winner}\n`);
		expect(await git('show', `ccfleet/${kept[0]!.id}:shared.txt`)).toBe(winner === 'left' ? 'right' : 'left');
		await sandbox.cli(['worktrees', 'prune', '--unmerged']);
	});

	it('keeps a failed verification on its branch and lists it; prune keeps the unmerged branch until told', async () => {
		const id = await delegate('Write a broken file [[tool:bash:echo broken > broken.txt]]', ['--merge-strategy', 'auto', '--verify', 'echo "2 tests failed"; exit 1']);
		const task = await settled(id);
		expect(task.merge).toMatchObject({merged: false, branchKept: true});
		expect(task.merge!.summary).toBe(
			`Not merged: the verification \`echo "2 tests failed"; exit 1\` failed (exit 1): 2 tests failed. The work is on branch ccfleet/${id}, rebased onto main.`,
		);
		expect(existsSync(path.join(sandbox.project, 'broken.txt'))).toBe(false);
		const listed = await sandbox.cli(['worktrees']);
		expect(listed.stdout).toMatch(new RegExp(`^TASK +STATE +BRANCH +WORKTREE\\n${id} +kept +ccfleet/${id} +\\(removed\\)`));
		expect(listed.stdout).toContain('Not merged: the verification');
		const pruned = await sandbox.cli(['worktrees', 'prune']);
		expect(pruned.stdout).toContain(`Kept 1 branch(es) whose work is not merged: ccfleet/${id} (task ${id}).`);
		expect(await git('branch', '--list', `ccfleet/${id}`)).toContain(id);
		const forced = await sandbox.cli(['worktrees', 'prune', '--unmerged']);
		expect(forced.stdout).toContain('and 1 merged branch(es)');
		expect(await git('branch', '--list', `ccfleet/${id}`)).toBe('');
		expect((await sandbox.cli(['worktrees'])).stdout).toBe('No task has a worktree or branch left.');
	});

	it('pushes a pr task to the remote and opens the pull request with gh; status shows its URL', async () => {
		const id = await delegate('Add the changelog entry\n\nWrite it [[tool:bash:echo entry > CHANGELOG]]', ['--merge-strategy', 'pr']);
		const task = await settled(id);
		expect(task.merge).toMatchObject({
			strategy: 'pr',
			merged: false,
			branchKept: true,
			pullRequestUrl: expect.stringMatching(/^https:\/\/github\.com\/example\/project\/pull\/\d+$/),
		});
		expect(task.checkpoint?.pullRequestUrl).toBe(task.merge!.pullRequestUrl);
		const shown = await sandbox.cli(['status', id]);
		expect(shown.stdout).toMatch(/pull request +https:\/\/github\.com\/example\/project\/pull\/\d+/);
		const call = JSON.parse(readFileSync(gh.callsFile, 'utf8').trim().split('\n').at(-1)!) as {args: string[]; body: string};
		expect(call.args).toEqual(['pr', 'create', '--base', 'main', '--head', `ccfleet/${id}`, '--title', 'Add the changelog entry', '--body-file', '-']);
		expect(call.body).toContain('## Task\n\nAdd the changelog entry');
		expect(call.body).toContain(`Opened by ccfleet for task ${id}.`);
		const pushed = await execa('git', ['--git-dir', origin, 'show', `ccfleet/${id}:CHANGELOG`]);
		expect(pushed.stdout).toBe('entry');
		expect(existsSync(path.join(sandbox.home, 'worktrees', id))).toBe(false);
	});

	it('refuses isolation outside git and a base that does not exist when the task is submitted', async () => {
		const outside = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-e2e-nogit-'));
		const refused = await sandbox.cli(['delegate', '--isolation', 'worktree', '--cwd', outside, 'do it']);
		expect(refused.exitCode).not.toBe(0);
		expect(refused.stderr).toContain(`${outside} is not in a git repository, so worktree isolation cannot be used.`);
		const badBase = await sandbox.cli(['delegate', '--isolation', 'worktree', '--merge-strategy', 'auto', '--base', 'mian', 'do it']);
		expect(badBase.exitCode).not.toBe(0);
		expect(badBase.stderr).toContain('The base branch mian does not exist');
		expect((await sandbox.cli(['status', '--json'])).stdout).not.toContain('do it');
	});
});
