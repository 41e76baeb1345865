import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import type {MergeOutcome, MergeStrategy, Workspaces, Worktree} from '../../core/ports/workspace.js';

const GIT_TIMEOUT_MS = 60_000;
/** Commits made for the worker carry this author when the user's git has none configured. */
const FALLBACK_IDENTITY = ['-c', 'user.name=ccfleet', '-c', 'user.email=ccfleet@localhost'];

async function git(cwd: string, args: string[]): Promise<{ok: boolean; stdout: string; stderr: string}> {
	const result = await execa('git', args, {cwd, reject: false, timeout: GIT_TIMEOUT_MS, stdin: 'ignore'});
	return {ok: result.exitCode === 0, stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim()};
}

async function mustGit(cwd: string, args: string[], what: string): Promise<string> {
	const result = await git(cwd, args);
	if (!result.ok) throw new Error(`${what} failed (git ${args.join(' ')}): ${result.stderr || result.stdout || 'no output'}`);
	return result.stdout;
}

/** Worktrees under `<CCFLEET_HOME>/worktrees/<task id>`, on branches `ccfleet/<task id>`; patches under `patches/`. */
export class GitWorktrees implements Workspaces {
	constructor(private readonly home: string) {}

	async create(cwd: string, taskId: string): Promise<Worktree> {
		const repoRoot = (await git(cwd, ['rev-parse', '--show-toplevel'])).stdout;
		if (!repoRoot) throw new Error(`${cwd} is not in a git repository, so it cannot have a worktree. Run the task without isolation, or \`git init\` there first.`);
		const baseSha = await mustGit(repoRoot, ['rev-parse', 'HEAD'], 'Reading HEAD (a repository needs one commit for a worktree)');
		const branch = `ccfleet/${taskId}`;
		const worktreePath = path.join(this.home, 'worktrees', taskId);
		mkdirSync(path.dirname(worktreePath), {recursive: true, mode: 0o700});
		await mustGit(repoRoot, ['worktree', 'add', '-b', branch, worktreePath, baseSha], 'Creating the worktree');
		return {repoRoot, path: worktreePath, branch, baseSha};
	}

	async reopen(worktree: Worktree, taskId: string): Promise<Worktree> {
		const {repoRoot, branch} = worktree;
		const head = await git(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
		if (head.ok) {
			await mustGit(repoRoot, ['worktree', 'add', worktree.path, branch], `Reopening the worktree of ${branch} for task ${taskId}`);
			return {...worktree, baseSha: head.stdout};
		}
		// The branch is gone (merged, or it had no changes): the work is in the checkout, so start from there.
		const baseSha = await mustGit(repoRoot, ['rev-parse', 'HEAD'], 'Reading HEAD');
		await mustGit(repoRoot, ['worktree', 'add', '-b', branch, worktree.path, baseSha], `Reopening the worktree ${worktree.path} for task ${taskId}`);
		return {...worktree, baseSha};
	}

	async finish(worktree: Worktree, strategy: MergeStrategy, taskId: string): Promise<MergeOutcome> {
		await mustGit(worktree.path, ['add', '-A'], "Staging the worker's changes");
		const staged = await git(worktree.path, ['diff', '--cached', '--quiet']);
		if (!staged.ok) await mustGit(worktree.path, [...FALLBACK_IDENTITY, 'commit', '-q', '-m', `ccfleet task ${taskId}`], "Committing the worker's changes");
		const changed = (await git(worktree.repoRoot, ['rev-list', '--count', `${worktree.baseSha}..${worktree.branch}`])).stdout !== '0';
		await git(worktree.repoRoot, ['worktree', 'remove', '--force', worktree.path]);
		if (!changed) {
			await git(worktree.repoRoot, ['branch', '-D', worktree.branch]);
			return {strategy, summary: 'The task changed no files.', merged: false, branchKept: false};
		}
		switch (strategy) {
			case 'manual':
				return {
					strategy,
					summary: `The changes are on branch ${worktree.branch}; merge it when you are ready (git merge ${worktree.branch}).`,
					merged: false,
					branchKept: true,
				};
			case 'patch': {
				const patch = await mustGit(worktree.repoRoot, ['format-patch', '--stdout', `${worktree.baseSha}..${worktree.branch}`], 'Writing the patch');
				const patchPath = path.join(this.home, 'patches', `${taskId}.patch`);
				mkdirSync(path.dirname(patchPath), {recursive: true, mode: 0o700});
				writeFileSync(patchPath, `${patch}\n`, {mode: 0o600});
				return {
					strategy,
					summary: `The changes are in ${patchPath} (git am ${patchPath}); branch ${worktree.branch} keeps them too.`,
					merged: false,
					patchPath,
					branchKept: true,
				};
			}
			case 'auto':
				return this.#merge(worktree);
		}
	}

	/** Merges into the checkout the task came from, only when that cannot disturb anyone's work there. */
	async #merge(worktree: Worktree): Promise<MergeOutcome> {
		const dirty = (await git(worktree.repoRoot, ['status', '--porcelain'])).stdout;
		if (dirty) {
			return {
				strategy: 'auto',
				summary: `Not merged: ${worktree.repoRoot} has uncommitted changes. The work is on branch ${worktree.branch}.`,
				merged: false,
				branchKept: true,
			};
		}
		const merge = await git(worktree.repoRoot, [...FALLBACK_IDENTITY, 'merge', '--no-edit', worktree.branch]);
		if (!merge.ok) {
			await git(worktree.repoRoot, ['merge', '--abort']);
			return {
				strategy: 'auto',
				summary: `Not merged: it conflicts with ${worktree.repoRoot} (${merge.stdout.split('\n').at(-1) ?? ''}). The work is on branch ${worktree.branch}.`,
				merged: false,
				branchKept: true,
			};
		}
		await git(worktree.repoRoot, ['branch', '-d', worktree.branch]);
		return {strategy: 'auto', summary: `Merged into ${worktree.repoRoot}.`, merged: true, branchKept: false};
	}
}
