import {execa} from 'execa';
import type {FinishPlan, MergeOutcome, Worktree} from '../../core/ports/workspace.js';
import {branchTip, checkoutOf, currentBranch, FALLBACK_IDENTITY, git, uncommittedFiles} from './git-run.js';

/** The base branch may move while a landing rebases and verifies; it starts over this many times before giving up. */
const LANDING_ATTEMPTS = 3;
/** Lines of a failed verify command's output the summary quotes (the task's log has more). */
const VERIFY_SUMMARY_LINES = 5;
const VERIFY_LOG_LINES = 40;

export type LandingOptions = {
	/** How long a verify command may run before it counts as failed. */
	verifyTimeoutMs: number;
	/** The repository's own verify command (`git config ccfleet.verify`), used when the task has none. */
	repositoryVerify(repoRoot: string): Promise<string | undefined>;
};

type Landed = MergeOutcome & {strategy: 'auto'};

const kept = (summary: string, extra: Pick<MergeOutcome, 'conflictFiles'> = {}): Landed => ({strategy: 'auto', summary, merged: false, branchKept: true, ...extra});

/**
 * Lands a finished task's branch on its base: rebases it onto the base's latest commit inside the task's own worktree,
 * runs the verify command there, then moves the base forward to it — by a fast-forward in the checkout that has the
 * base checked out (only when that checkout has no uncommitted changes), or by a compare-and-swap of the branch ref
 * when none has. A conflict, a failed verification or a dirty checkout leaves the work on its branch, saying why.
 * Runs one landing per repository at a time (the core's merge queue sees to that); the worktree is still there.
 */
export async function landOnBase(worktree: Worktree, plan: FinishPlan, options: LandingOptions): Promise<Landed> {
	const {repoRoot, branch} = worktree;
	const base = plan.base ?? (await currentBranch(repoRoot));
	if (!base) return kept(`Not merged: ${repoRoot} is not on a branch and the task names no base. The work is on branch ${branch}; merge it by hand.`);
	const verify = plan.verify ?? (await options.repositoryVerify(repoRoot));
	for (let attempt = 1; attempt <= LANDING_ATTEMPTS; attempt++) {
		const baseSha = await branchTip(repoRoot, base);
		if (!baseSha) return kept(`Not merged: the base branch ${base} does not exist in ${repoRoot}. The work is on branch ${branch}.`);
		const rebase = await git(worktree.path, [...FALLBACK_IDENTITY, 'rebase', '--no-autostash', baseSha]);
		if (!rebase.ok) {
			const conflicts = (await git(worktree.path, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
			await git(worktree.path, ['rebase', '--abort']);
			const where = conflicts.length > 0 ? ` in ${conflicts.join(', ')}` : ` (${lastLine(rebase.stderr || rebase.stdout)})`;
			return kept(`Not merged: it conflicts with ${base}${where}. The work is on branch ${branch}: rebase it onto ${base} and resolve, or merge by hand.`, {
				...(conflicts.length > 0 ? {conflictFiles: conflicts} : {}),
			});
		}
		if (verify) {
			plan.log(`verifying before landing on ${base}: ${verify}`);
			const check = await runVerify(verify, workdirIn(worktree, plan.workdir), options.verifyTimeoutMs);
			for (const line of check.tail.slice(-VERIFY_LOG_LINES)) plan.log(`  ${line}`);
			if (!check.passed) {
				const quoted = check.tail.slice(-VERIFY_SUMMARY_LINES).join(' ⏎ ');
				return kept(
					`Not merged: the verification \`${verify}\` failed (${check.how})${quoted ? `: ${quoted}` : ''}. The work is on branch ${branch}, rebased onto ${base}.`,
				);
			}
		}
		const tip = (await git(worktree.path, ['rev-parse', 'HEAD'])).stdout;
		const moved = await moveBase(repoRoot, base, baseSha, tip);
		if (moved.kind === 'base-moved') {
			plan.log(`${base} moved while landing; rebasing again (attempt ${attempt + 1} of ${LANDING_ATTEMPTS})`);
			continue;
		}
		if (moved.kind === 'refused')
			return kept(`${moved.why} The work is on branch ${branch}, rebased onto ${base}${verify ? ' and verified' : ''}: git merge --ff-only ${branch}.`);
		const verified = verify ? `, verified with \`${verify}\`` : '';
		return {
			strategy: 'auto',
			summary: `Landed on ${base} at ${tip.slice(0, 12)} (rebased onto ${baseSha.slice(0, 12)}${verified}).`,
			merged: true,
			branchKept: false,
			landedSha: tip,
		};
	}
	return kept(`Not merged: ${base} kept moving while landing (${LANDING_ATTEMPTS} attempts). The work is on branch ${branch}.`);
}

/** Moving the base: done, lost a race (someone moved it first), or refused (why, in a sentence). */
type BaseMove = {kind: 'moved'} | {kind: 'base-moved'} | {kind: 'refused'; why: string};

/** Moves `base` from `from` to `to` (a descendant of `from`). */
async function moveBase(repoRoot: string, base: string, from: string, to: string): Promise<BaseMove> {
	const checkout = await checkoutOf(repoRoot, base);
	if (!checkout) {
		const update = await git(repoRoot, ['update-ref', '-m', 'ccfleet: land', `refs/heads/${base}`, to, from]);
		if (update.ok) return {kind: 'moved'};
		return (await branchTip(repoRoot, base)) === from
			? {kind: 'refused', why: `Not merged: git would not move ${base} (${lastLine(update.stderr)}).`}
			: {kind: 'base-moved'};
	}
	const dirty = await uncommittedFiles(checkout);
	if (dirty.length > 0) {
		const files = `${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}`;
		return {kind: 'refused', why: `Not merged: ${checkout} has uncommitted changes (${files}), and ccfleet never touches them.`};
	}
	const merge = await git(checkout, ['merge', '--ff-only', '--quiet', to]);
	if (merge.ok) return {kind: 'moved'};
	return (await branchTip(repoRoot, base)) === from
		? {kind: 'refused', why: `Not merged: git refused to fast-forward ${checkout} (${lastLine(merge.stderr)}).`}
		: {kind: 'base-moved'};
}

/** The task's directory inside the worktree, where its verify command runs. */
function workdirIn(worktree: Worktree, workdir: string): string {
	return workdir.startsWith(worktree.path) ? workdir : worktree.path;
}

async function runVerify(command: string, cwd: string, timeoutMs: number): Promise<{passed: boolean; how: string; tail: string[]}> {
	const result = await execa('sh', ['-c', command], {cwd, reject: false, all: true, timeout: timeoutMs, stdin: 'ignore', env: {CI: '1'}});
	const tail = String(result.all ?? '')
		.replace(/\n$/, '')
		.split('\n')
		.filter(line => line.trim() !== '');
	if (result.timedOut) return {passed: false, how: `no result within ${Math.round(timeoutMs / 1000)} s`, tail};
	if (result.exitCode === 0) return {passed: true, how: 'exit 0', tail};
	return {passed: false, how: result.exitCode === undefined ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`, tail};
}

function lastLine(text: string): string {
	return text.trim().split('\n').at(-1) ?? '';
}
