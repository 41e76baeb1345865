import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createGitCliInspector, gitCliInspector, NO_COMMITS, NOT_A_REPO_RECHECK_MS, type GitCliInspector} from '../../source/adapters/git/git-cli-inspector.js';
import {waitFor} from '../helpers/wait-for.js';

const IDENTITY = {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'};
const root = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-git-'));
const opened: GitCliInspector[] = [];
let realGit = '';

function inspector(options: Parameters<typeof createGitCliInspector>[0] = {}): GitCliInspector {
	const created = createGitCliInspector(options);
	opened.push(created);
	return created;
}

function git(cwd: string, ...args: string[]) {
	return execa('git', args, {cwd, env: IDENTITY});
}

async function head(cwd: string): Promise<string> {
	return (await git(cwd, 'rev-parse', 'HEAD')).stdout.trim();
}

/** A fresh directory under the suite's temporary root. */
function directory(name: string): string {
	return mkdtempSync(path.join(root, `${name}-`));
}

/** A repository on branch trunk with one commit of a.txt. */
async function repository(name: string): Promise<string> {
	const repo = directory(name);
	await git(repo, 'init', '-q', '-b', 'trunk');
	writeFileSync(path.join(repo, 'a.txt'), 'a');
	await git(repo, 'add', '.');
	await git(repo, 'commit', '-qm', 'first');
	return repo;
}

/** A directory holding an executable `git` (or `sh`) script. */
function scriptDir(name: string, file: string, body: string): string {
	const dir = directory(name);
	writeFileSync(path.join(dir, file), `#!/bin/sh\n${body}\n`);
	chmodSync(path.join(dir, file), 0o755);
	return dir;
}

/** Lines a recording script appended to `log`. */
function lines(log: string): string[] {
	return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

beforeAll(async () => {
	realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
});

afterAll(() => {
	for (const each of opened) each.close();
	gitCliInspector.close();
	rmSync(root, {recursive: true, force: true});
});

describe('gitCliInspector', () => {
	it('reads branch, HEAD and dirty files of a real repository', async () => {
		const repo = await repository('plain');
		writeFileSync(path.join(repo, 'a.txt'), 'changed');
		writeFileSync(path.join(repo, 'new file.txt'), 'new');
		const snapshot = await gitCliInspector.snapshot(repo);
		expect(snapshot).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: ['a.txt', 'new file.txt']});
	});

	it('has nothing to say outside a repository', async () => {
		expect(await gitCliInspector.snapshot(directory('nogit'))).toBeUndefined();
	});

	it('reports a clean repository with no dirty files', async () => {
		const repo = await repository('clean');
		expect(await inspector().snapshot(repo)).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: []});
	});

	it('lists modified, staged, deleted, untracked and renamed files, whatever their names hold', async () => {
		const repo = directory('dirty');
		await git(repo, 'init', '-q', '-b', 'trunk');
		for (const name of ['a.txt', 'staged.txt', 'gone.txt', 'old name.txt']) writeFileSync(path.join(repo, name), name);
		await git(repo, 'add', '.');
		await git(repo, 'commit', '-qm', 'first');
		writeFileSync(path.join(repo, 'a.txt'), 'modified');
		writeFileSync(path.join(repo, 'staged.txt'), 'staged');
		writeFileSync(path.join(repo, 'added.txt'), 'added');
		await git(repo, 'add', 'staged.txt', 'added.txt');
		rmSync(path.join(repo, 'gone.txt'));
		await git(repo, 'mv', 'old name.txt', 'new name.txt');
		writeFileSync(path.join(repo, 'with space.txt'), 'untracked');
		writeFileSync(path.join(repo, 'line\nbreak.txt'), 'untracked');
		mkdirSync(path.join(repo, 'fresh dir'));
		writeFileSync(path.join(repo, 'fresh dir', 'inner.txt'), 'untracked');
		const snapshot = await inspector().snapshot(repo);
		expect(snapshot?.dirtyFiles.sort()).toEqual(
			['a.txt', 'added.txt', 'fresh dir/', 'gone.txt', 'line\nbreak.txt', 'new name.txt', 'staged.txt', 'with space.txt'].sort(),
		);
	});

	it('lists a file with a merge conflict', async () => {
		const repo = await repository('conflict');
		await git(repo, 'checkout', '-qb', 'other');
		writeFileSync(path.join(repo, 'a.txt'), 'other side');
		await git(repo, 'commit', '-qam', 'other');
		await git(repo, 'checkout', '-q', 'trunk');
		writeFileSync(path.join(repo, 'a.txt'), 'this side');
		await git(repo, 'commit', '-qam', 'this');
		await expect(git(repo, 'merge', 'other')).rejects.toThrow();
		expect(await inspector().snapshot(repo)).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: ['a.txt']});
	});

	it('names a detached HEAD as git rev-parse --abbrev-ref does', async () => {
		const repo = await repository('detached');
		await git(repo, 'checkout', '-q', '--detach');
		expect(await inspector().snapshot(repo)).toEqual({branch: 'HEAD', sha: await head(repo), dirtyFiles: []});
	});

	it('reports a repository without commits by its branch', async () => {
		const repo = directory('unborn');
		await git(repo, 'init', '-q', '-b', 'trunk');
		writeFileSync(path.join(repo, 'a.txt'), 'a');
		expect(await inspector().snapshot(repo)).toEqual({branch: 'trunk', sha: NO_COMMITS, dirtyFiles: ['a.txt']});
	});

	it('reads a linked worktree, whose .git is a file', async () => {
		const repo = await repository('main-tree');
		const worktree = path.join(directory('linked'), 'tree');
		await git(repo, 'worktree', 'add', '-q', '-b', 'feature', worktree);
		writeFileSync(path.join(worktree, 'only-here.txt'), 'x');
		expect(await inspector().snapshot(worktree)).toEqual({branch: 'feature', sha: await head(repo), dirtyFiles: ['only-here.txt']});
		expect(await inspector().snapshot(repo)).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: []});
	});

	it('gives paths from the repository root when asked about a subdirectory', async () => {
		const repo = await repository('subdir');
		mkdirSync(path.join(repo, 'sub', 'deeper'), {recursive: true});
		writeFileSync(path.join(repo, 'sub', 'deeper', 'b.txt'), 'b');
		writeFileSync(path.join(repo, 'a.txt'), 'changed');
		expect(await inspector().snapshot(path.join(repo, 'sub', 'deeper'))).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: ['a.txt', 'sub/']});
	});

	it('reads the repository around the directory, not one that GIT_DIR points at', async () => {
		const repo = await repository('own');
		const elsewhere = await repository('elsewhere');
		await git(elsewhere, 'checkout', '-qb', 'other-branch');
		const snapshot = await inspector({env: {...process.env, GIT_DIR: path.join(elsewhere, '.git'), GIT_WORK_TREE: elsewhere}}).snapshot(repo);
		expect(snapshot).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: []});
	});

	it('starts one git per snapshot in a repository and nothing at all outside one', async () => {
		const gitLog = path.join(root, 'git-calls.log');
		const shellLog = path.join(root, 'shell-starts.log');
		const fakeGit = scriptDir('recording-git', 'git', `printf '%s\\n' "$PWD" >> '${gitLog}'\nexec '${realGit}' "$@"`);
		const fakeShell = scriptDir('recording-sh', 'sh', `printf 'started\\n' >> '${shellLog}'\nexec /bin/sh "$@"`);
		const recording = inspector({env: {...process.env, PATH: `${fakeGit}${path.delimiter}${process.env.PATH ?? ''}`}, shellPath: path.join(fakeShell, 'sh')});
		const outside = directory('outside');

		expect(await recording.snapshot(outside)).toBeUndefined();
		expect(await recording.snapshot(path.join(outside, 'not-even-there'))).toBeUndefined();
		expect(lines(gitLog)).toEqual([]);
		expect(lines(shellLog)).toEqual([]);

		const repo = await repository('counted');
		expect((await recording.snapshot(repo))?.branch).toBe('trunk');
		expect((await recording.snapshot(repo))?.branch).toBe('trunk');
		expect(lines(gitLog)).toEqual([repo, repo]);
		// The helper shell is started once and kept.
		expect(lines(shellLog)).toEqual(['started']);
	});

	it('remembers a directory outside a repository, and looks again once the answer is old', async () => {
		let now = 1_000;
		const counting = inspector({now: () => now});
		const dir = directory('later-repo');
		expect(await counting.snapshot(dir)).toBeUndefined();
		await git(dir, 'init', '-q', '-b', 'trunk');
		expect(await counting.snapshot(dir)).toBeUndefined();
		now += NOT_A_REPO_RECHECK_MS;
		expect(await counting.snapshot(dir)).toEqual({branch: 'trunk', sha: NO_COMMITS, dirtyFiles: []});
	});

	it('answers concurrent snapshots of different repositories each with its own', async () => {
		const repos = await Promise.all(['one', 'two', 'three'].map(name => repository(name)));
		writeFileSync(path.join(repos[1]!, 'b.txt'), 'b');
		const shared = inspector();
		const snapshots = await Promise.all([...repos, ...repos].map(async repo => shared.snapshot(repo)));
		const expected = await Promise.all(repos.map(async (repo, index) => ({branch: 'trunk', sha: await head(repo), dirtyFiles: index === 1 ? ['b.txt'] : []})));
		expect(snapshots).toEqual([...expected, ...expected]);
	});

	it('reads an answer larger than one pipe read whole', async () => {
		const repo = await repository('many');
		const names = Array.from({length: 3000}, (_, index) => `${'long-name-'.repeat(4)}${String(index).padStart(5, '0')}.txt`);
		for (const name of names) writeFileSync(path.join(repo, name), '');
		const shared = inspector();
		const snapshot = await shared.snapshot(repo);
		expect(snapshot?.dirtyFiles).toEqual(names);
		// The helper is still in step afterwards.
		rmSync(path.join(repo, names[0]!));
		expect((await shared.snapshot(repo))?.dirtyFiles).toHaveLength(names.length - 1);
	});

	it('is undefined without git on PATH, and does not crash', async () => {
		const repo = await repository('no-git');
		const empty = directory('empty-path');
		expect(await inspector({env: {...process.env, PATH: empty}}).snapshot(repo)).toBeUndefined();
		expect(await inspector({env: {...process.env, PATH: empty}, shellPath: path.join(empty, 'sh')}).snapshot(repo)).toBeUndefined();
	});

	it('starts git directly where the helper shell cannot serve', async () => {
		const repo = await repository('direct');
		expect(await inspector({shellPath: path.join(directory('no-shell'), 'sh')}).snapshot(repo)).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: []});
		const newline = path.join(directory('odd'), 'new\nline');
		renameSync(repo, newline);
		expect(await inspector().snapshot(newline)).toEqual({branch: 'trunk', sha: await head(newline), dirtyFiles: []});
	});

	it('gives up on a git that hangs, kills it, and serves the next snapshot', async () => {
		const repo = await repository('hang');
		const hangFlag = path.join(root, 'hang');
		const pidFile = path.join(root, 'hung.pid');
		writeFileSync(hangFlag, '');
		const hangingGit = scriptDir('hanging-git', 'git', `if [ -e '${hangFlag}' ]; then echo $$ > '${pidFile}'; exec sleep 60; fi\nexec '${realGit}' "$@"`);
		const impatient = inspector({env: {...process.env, PATH: `${hangingGit}${path.delimiter}${process.env.PATH ?? ''}`}, timeoutMs: 500});
		expect(await impatient.snapshot(repo)).toBeUndefined();
		const pid = Number(readFileSync(pidFile, 'utf8'));
		await waitFor('the hung git to be killed', () => {
			try {
				process.kill(pid, 0);
				return false;
			} catch {
				return true;
			}
		});
		rmSync(hangFlag);
		expect(await impatient.snapshot(repo)).toEqual({branch: 'trunk', sha: await head(repo), dirtyFiles: []});
	});
});
