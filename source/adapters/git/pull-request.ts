import {execa} from 'execa';
import type {FinishPlan, MergeOutcome, Worktree} from '../../core/ports/workspace.js';
import {currentBranch, git} from './git-run.js';

const GH_TIMEOUT_MS = 120_000;

/** The remote a branch is pushed to: the base branch's own, else origin, else the only one. */
export async function pushRemote(repoRoot: string, base: string | undefined): Promise<string | undefined> {
	if (base) {
		const configured = await git(repoRoot, ['config', '--get', `branch.${base}.remote`]);
		if (configured.ok && configured.stdout && configured.stdout !== '.') return configured.stdout;
	}
	const remotes = (await git(repoRoot, ['remote'])).stdout.split('\n').filter(Boolean);
	return remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined;
}

/**
 * Why gh cannot open a pull request here, or undefined when it can: installed and logged in. Asked when a task is
 * submitted, so that a missing gh is said then and not after the work is done.
 */
export async function ghProblem(cwd: string): Promise<string | undefined> {
	const auth = await execa('gh', ['auth', 'status'], {cwd, reject: false, timeout: 30_000, stdin: 'ignore', all: true});
	// No exit code without a time-out: the program could not be started at all.
	if (auth.exitCode === undefined && !auth.timedOut) {
		return 'Merge strategy pr opens the pull request with the GitHub CLI, gh, which is not installed (or not on PATH). Install it (https://cli.github.com) and run `gh auth login`, or use another merge strategy.';
	}
	if (auth.exitCode !== 0) {
		const said =
			String(auth.all ?? '')
				.trim()
				.split('\n')
				.at(-1) ?? '';
		return `gh is not logged in${said ? ` (${said})` : ''}. Run \`gh auth login\`, or use another merge strategy.`;
	}
	return undefined;
}

/** Pushes the task's branch and opens a pull request of it against the base with gh. The branch is kept. */
export async function openPullRequest(worktree: Worktree, plan: FinishPlan): Promise<MergeOutcome> {
	const {repoRoot, branch} = worktree;
	const kept = (summary: string): MergeOutcome => ({strategy: 'pr', summary, merged: false, branchKept: true});
	const base = plan.base ?? (await currentBranch(repoRoot));
	if (!base) return kept(`No pull request: ${repoRoot} is not on a branch and the task names no base. The work is on branch ${branch}.`);
	const remote = await pushRemote(repoRoot, base);
	if (!remote) return kept(`No pull request: ${repoRoot} has no remote to push to. The work is on branch ${branch}; add a remote and push it.`);
	const push = await git(repoRoot, ['push', '--set-upstream', remote, `${branch}:${branch}`]);
	if (!push.ok) {
		return kept(
			`No pull request: pushing ${branch} to ${remote} failed (${push.stderr.split('\n').at(-1) ?? ''}). The work is on branch ${branch}; push it and open the pull request by hand.`,
		);
	}
	plan.log(`pushed ${branch} to ${remote}`);
	const {title, body} = plan.pullRequest ?? {title: branch, body: ''};
	const created = await execa('gh', ['pr', 'create', '--base', base, '--head', branch, '--title', title, '--body-file', '-'], {
		cwd: repoRoot,
		input: body,
		reject: false,
		timeout: GH_TIMEOUT_MS,
		all: true,
	});
	const output = String(created.all ?? '').trim();
	const url = output.match(/https?:\/\/\S+/g)?.at(-1);
	if (created.exitCode !== 0 || !url) {
		const said = output.split('\n').at(-1) ?? `exit ${created.exitCode ?? '?'}`;
		return kept(
			`No pull request: gh pr create failed (${said}). ${branch} is pushed to ${remote}; open the pull request by hand (gh pr create --base ${base} --head ${branch}).`,
		);
	}
	return {strategy: 'pr', summary: `Pull request opened: ${url} (${branch} → ${base}).`, merged: false, branchKept: true, pullRequestUrl: url};
}
