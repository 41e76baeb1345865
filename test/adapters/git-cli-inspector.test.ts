import {mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {gitCliInspector} from '../../source/adapters/git/git-cli-inspector.js';

describe('gitCliInspector', () => {
	it('reads branch, HEAD and dirty files of a real repository', async () => {
		const repo = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-git-'));
		const git = (...args: string[]) =>
			execa('git', args, {cwd: repo, env: {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'}});
		await git('init', '-q', '-b', 'trunk');
		writeFileSync(path.join(repo, 'a.txt'), 'a');
		await git('add', '.');
		await git('commit', '-qm', 'first');
		const {stdout: head} = await git('rev-parse', 'HEAD');
		writeFileSync(path.join(repo, 'a.txt'), 'changed');
		writeFileSync(path.join(repo, 'new file.txt'), 'new');
		const snapshot = await gitCliInspector.snapshot(repo);
		expect(snapshot).toEqual({branch: 'trunk', sha: head.trim(), dirtyFiles: ['a.txt', 'new file.txt']});
	});

	it('has nothing to say outside a repository', async () => {
		expect(await gitCliInspector.snapshot(mkdtempSync(path.join(os.tmpdir(), 'ccfleet-nogit-')))).toBeUndefined();
	});
});
