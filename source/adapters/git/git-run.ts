import {execa} from 'execa';

const GIT_TIMEOUT_MS = 60_000;
/** Commits made for the worker (and rebased ones) carry this identity when the user's git has none configured. */
export const FALLBACK_IDENTITY = ['-c', 'user.name=ccfleet', '-c', 'user.email=ccfleet@localhost'];

export type GitResult = {ok: boolean; stdout: string; stderr: string};

/** Runs git in `cwd`; never throws for git's own failures (see `ok`). */
export async function git(cwd: string, args: string[]): Promise<GitResult> {
	const result = await execa('git', args, {cwd, reject: false, timeout: GIT_TIMEOUT_MS, stdin: 'ignore'});
	return {ok: result.exitCode === 0, stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim()};
}

/** Runs git and throws, naming what was being done and git's own words, when it fails. */
export async function mustGit(cwd: string, args: string[], what: string): Promise<string> {
	const result = await git(cwd, args);
	if (!result.ok) throw new Error(`${what} failed (git ${args.join(' ')}): ${result.stderr || result.stdout || 'no output'}`);
	return result.stdout;
}

/** The branch checked out in `cwd`, or undefined on a detached HEAD. */
export async function currentBranch(cwd: string): Promise<string | undefined> {
	const result = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
	return result.ok && result.stdout ? result.stdout : undefined;
}

/** The commit a local branch points at, or undefined when there is no such branch. */
export async function branchTip(cwd: string, branch: string): Promise<string | undefined> {
	const result = await git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
	return result.ok ? result.stdout : undefined;
}

const worktreeTurns = new Map<string, Promise<unknown>>();

/**
 * Runs `run` once every earlier call for the same repository has finished. git's worktree commands read and write
 * .git/worktrees without a lock: two at once in one repository can fail ("failed to read .git/worktrees/<x>/commondir",
 * seen with tasks submitted together), and a `worktree list` beside an `add` can miss a checkout. So every worktree
 * command of this process goes through here, one at a time per repository.
 */
export function inWorktreeTurn<T>(repoRoot: string, run: () => Promise<T>): Promise<T> {
	const before = worktreeTurns.get(repoRoot) ?? Promise.resolve();
	const turn = before.then(run, run);
	const settled = turn.catch(() => undefined);
	worktreeTurns.set(repoRoot, settled);
	void settled.then(() => {
		if (worktreeTurns.get(repoRoot) === settled) worktreeTurns.delete(repoRoot);
	});
	return turn;
}

/** The worktree (the main checkout or another) that has `branch` checked out, if any. Throws when git cannot tell. */
export async function checkoutOf(repoRoot: string, branch: string): Promise<string | undefined> {
	const list = await inWorktreeTurn(repoRoot, () => git(repoRoot, ['worktree', 'list', '--porcelain']));
	// Not knowing must not read as "nobody has it": the base would then be moved under a checkout's feet.
	if (!list.ok) throw new Error(`Listing the worktrees of ${repoRoot} failed (git worktree list): ${list.stderr || 'no output'}`);
	let path: string | undefined;
	for (const line of list.stdout.split('\n')) {
		if (line.startsWith('worktree ')) path = line.slice('worktree '.length);
		else if (line === `branch refs/heads/${branch}`) return path;
	}
	return undefined;
}

/** Tracked files with uncommitted changes in a checkout, staged or not (untracked files are git's to protect: it refuses to overwrite them). */
export async function uncommittedFiles(checkout: string): Promise<string[]> {
	const changed = await git(checkout, ['diff', '--name-only', 'HEAD']);
	return changed.stdout ? changed.stdout.split('\n') : [];
}
