import {execa} from 'execa';
import type {Checkpoint} from '../../core/domain/task.js';
import type {GitInspector} from '../../core/ports/git.js';

const GIT_TIMEOUT_MS = 5_000;

/** Reads a repository's state with the git command line; outside a repository (or without git) there is none. */
export const gitCliInspector: GitInspector = {
	async snapshot(cwd: string): Promise<Checkpoint['git'] | undefined> {
		const git = (args: string[]) => execa('git', args, {cwd, reject: false, timeout: GIT_TIMEOUT_MS, stdin: 'ignore'});
		const [branch, sha, status] = await Promise.all([
			git(['rev-parse', '--abbrev-ref', 'HEAD']),
			git(['rev-parse', 'HEAD']),
			// -z keeps file names with spaces or newlines whole.
			git(['status', '--porcelain', '-z']),
		]);
		if (branch.exitCode !== 0 || status.exitCode !== 0) return undefined;
		const dirtyFiles = String(status.stdout)
			.split('\0')
			.filter(Boolean)
			.map(entry => entry.slice(3));
		// A fresh repository has a branch but no commit yet.
		return {branch: String(branch.stdout).trim(), sha: sha.exitCode === 0 ? String(sha.stdout).trim() : '(no commits)', dirtyFiles};
	},
};
