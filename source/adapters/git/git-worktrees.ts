import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {FinishPlan, LeftoverState, MergeOutcome, MergeStrategy, Workspaces, Worktree} from '../../core/ports/workspace.js';
import {landOnBase} from './git-landing.js';
import {branchTip, currentBranch, FALLBACK_IDENTITY, git, inWorktreeTurn, mustGit} from './git-run.js';
import {ghProblem, openPullRequest, pushRemote} from './pull-request.js';

export type GitWorktreesOptions = {
	/** How long a verify command may run before landing gives up on it. @default 30 minutes */
	verifyTimeoutMs?: number;
};

/** Worktrees under `<CCFLEET_HOME>/worktrees/<task id>`, on branches `ccfleet/<task id>`; patches under `patches/`. */
export class GitWorktrees implements Workspaces {
	readonly #verifyTimeoutMs: number;

	constructor(
		private readonly home: string,
		options: GitWorktreesOptions = {},
	) {
		this.#verifyTimeoutMs = options.verifyTimeoutMs ?? 30 * 60_000;
	}

	async check(cwd: string, plan: {strategy: MergeStrategy; base?: string}): Promise<{base?: string}> {
		if (!existsSync(cwd)) throw new Error(`${cwd} does not exist, so it cannot have a worktree.`);
		const repoRoot = (await git(cwd, ['rev-parse', '--show-toplevel'])).stdout;
		if (!repoRoot)
			throw new Error(`${cwd} is not in a git repository, so worktree isolation cannot be used. Run \`git init\` and commit there first, or submit without isolation.`);
		if (!(await git(repoRoot, ['rev-parse', '--verify', '--quiet', 'HEAD'])).ok) {
			throw new Error(`${repoRoot} has no commit yet, and a worktree starts from one. Commit something first, or submit without isolation.`);
		}
		if (plan.strategy !== 'auto' && plan.strategy !== 'pr') return {};
		const base = plan.base ?? (await currentBranch(repoRoot));
		if (!base)
			throw new Error(
				`${repoRoot} is not on a branch (detached HEAD), so there is no base branch to ${plan.strategy === 'pr' ? 'open the pull request against' : 'land on'}. Give one with --base.`,
			);
		if (!(await branchTip(repoRoot, base))) {
			const branches = (await git(repoRoot, ['branch', '--format=%(refname:short)'])).stdout.split('\n').filter(name => name && !name.startsWith('ccfleet/'));
			throw new Error(`The base branch ${base} does not exist in ${repoRoot}. Branches: ${branches.slice(0, 10).join(', ')}.`);
		}
		if (plan.strategy === 'pr') {
			if (!(await pushRemote(repoRoot, base)))
				throw new Error(`${repoRoot} has no remote to push the branch to (merge strategy pr). Add one (git remote add origin <url>), or use another merge strategy.`);
			const problem = await ghProblem(repoRoot);
			if (problem) throw new Error(problem);
		}
		return {base};
	}

	async create(cwd: string, taskId: string): Promise<Worktree> {
		const repoRoot = (await git(cwd, ['rev-parse', '--show-toplevel'])).stdout;
		if (!repoRoot) throw new Error(`${cwd} is not in a git repository, so it cannot have a worktree. Run the task without isolation, or \`git init\` there first.`);
		const baseSha = await mustGit(repoRoot, ['rev-parse', 'HEAD'], 'Reading HEAD (a repository needs one commit for a worktree)');
		const branch = `ccfleet/${taskId}`;
		const worktreePath = path.join(this.home, 'worktrees', taskId);
		mkdirSync(path.dirname(worktreePath), {recursive: true, mode: 0o700});
		await inWorktreeTurn(repoRoot, () => mustGit(repoRoot, ['worktree', 'add', '-b', branch, worktreePath, baseSha], 'Creating the worktree'));
		return {repoRoot, path: worktreePath, branch, baseSha};
	}

	async reopen(worktree: Worktree, taskId: string): Promise<Worktree> {
		const {repoRoot, branch} = worktree;
		const head = await git(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
		if (head.ok) {
			await inWorktreeTurn(repoRoot, () => mustGit(repoRoot, ['worktree', 'add', worktree.path, branch], `Reopening the worktree of ${branch} for task ${taskId}`));
			return {...worktree, baseSha: head.stdout};
		}
		// The branch is gone (merged, or it had no changes): the work is in the checkout, so start from there.
		const baseSha = await mustGit(repoRoot, ['rev-parse', 'HEAD'], 'Reading HEAD');
		await inWorktreeTurn(repoRoot, () =>
			mustGit(repoRoot, ['worktree', 'add', '-b', branch, worktree.path, baseSha], `Reopening the worktree ${worktree.path} for task ${taskId}`),
		);
		return {...worktree, baseSha};
	}

	async finish(worktree: Worktree, plan: FinishPlan, taskId: string): Promise<MergeOutcome> {
		const {strategy} = plan;
		if (existsSync(worktree.path)) {
			await mustGit(worktree.path, ['add', '-A'], "Staging the worker's changes");
			const staged = await git(worktree.path, ['diff', '--cached', '--quiet']);
			if (!staged.ok) await mustGit(worktree.path, [...FALLBACK_IDENTITY, 'commit', '-q', '-m', `ccfleet task ${taskId}`], "Committing the worker's changes");
		} else if (!(await branchTip(worktree.repoRoot, worktree.branch))) {
			return {strategy, summary: `Its worktree and branch ${worktree.branch} are gone; nothing to settle.`, merged: false, branchKept: false};
		} else if (strategy === 'auto') {
			// Landing was cut short (the core stopped) after the directory went: landing rebases in it, so check it out again.
			await inWorktreeTurn(worktree.repoRoot, () =>
				mustGit(worktree.repoRoot, ['worktree', 'add', worktree.path, worktree.branch], `Checking out ${worktree.branch} again to land it`),
			);
		}
		const changed = (await git(worktree.repoRoot, ['rev-list', '--count', `${worktree.baseSha}..${worktree.branch}`])).stdout !== '0';
		if (!changed) {
			await this.#removeDirectory(worktree);
			await git(worktree.repoRoot, ['branch', '-D', worktree.branch]);
			return {strategy, summary: 'The task changed no files.', merged: false, branchKept: false};
		}
		let outcome: MergeOutcome;
		try {
			outcome = await this.#settle(worktree, plan, taskId);
		} finally {
			// The branch keeps every commit; the directory is only a checkout of it.
			await this.#removeDirectory(worktree);
		}
		// Its work is in the base now; git deletes a branch only once no worktree has it checked out.
		if (outcome.merged) await git(worktree.repoRoot, ['branch', '-D', worktree.branch]);
		return outcome;
	}

	async inspect(worktree: Worktree, base: string | undefined): Promise<LeftoverState> {
		const tip = await branchTip(worktree.repoRoot, worktree.branch);
		return {directory: existsSync(worktree.path), branch: tip !== undefined, merged: tip === undefined || (await this.#isMerged(worktree, base))};
	}

	async remove(worktree: Worktree, {base, unmerged}: {base: string | undefined; unmerged: boolean}): Promise<LeftoverState> {
		await this.#removeDirectory(worktree);
		const before = await this.inspect(worktree, base);
		if (before.branch && (before.merged || unmerged)) await git(worktree.repoRoot, ['branch', '-D', worktree.branch]);
		return this.inspect(worktree, base);
	}

	async #settle(worktree: Worktree, plan: FinishPlan, taskId: string): Promise<MergeOutcome> {
		switch (plan.strategy) {
			case 'manual':
				return {
					strategy: 'manual',
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
					strategy: 'patch',
					summary: `The changes are in ${patchPath} (git am ${patchPath}); branch ${worktree.branch} keeps them too.`,
					merged: false,
					patchPath,
					branchKept: true,
				};
			}
			case 'auto':
				return landOnBase(worktree, plan, {verifyTimeoutMs: this.#verifyTimeoutMs, repositoryVerify});
			case 'pr':
				return openPullRequest(worktree, plan);
		}
	}

	async #isMerged(worktree: Worktree, base: string | undefined): Promise<boolean> {
		const target = base ?? (await currentBranch(worktree.repoRoot));
		if (!target) return false;
		return (await git(worktree.repoRoot, ['merge-base', '--is-ancestor', worktree.branch, target])).ok;
	}

	async #removeDirectory(worktree: Worktree): Promise<void> {
		await inWorktreeTurn(worktree.repoRoot, async () => {
			if (existsSync(worktree.path)) await git(worktree.repoRoot, ['worktree', 'remove', '--force', worktree.path]);
			// A directory removed by hand leaves git's record of it behind.
			await git(worktree.repoRoot, ['worktree', 'prune']);
		});
	}
}

/** A repository's own verify command: `git config ccfleet.verify "npm test"`. */
async function repositoryVerify(repoRoot: string): Promise<string | undefined> {
	const configured = await git(repoRoot, ['config', '--get', 'ccfleet.verify']);
	return configured.ok && configured.stdout ? configured.stdout : undefined;
}
