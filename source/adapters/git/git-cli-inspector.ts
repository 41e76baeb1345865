import {stat} from 'node:fs/promises';
import path from 'node:path';
import type {Checkpoint} from '../../core/domain/task.js';
import type {GitInspector} from '../../core/ports/git.js';
import {GitStatusShell} from './git-status-shell.js';

const GIT_TIMEOUT_MS = 5_000;
/** How long a directory found outside any repository is taken to stay so; after that it is looked at again. */
export const NOT_A_REPO_RECHECK_MS = 60_000;
/** Directories remembered as outside a repository; the oldest answer goes first. */
const NOT_A_REPO_CACHE_SIZE = 256;
/** The sha of a repository whose branch has no commit yet. */
export const NO_COMMITS = '(no commits)';
/** git's exit code for "fatal": here, not a repository (or not a work tree, or one it refuses to read). */
const GIT_FATAL_EXIT = 128;

/**
 * The variables that point git at a repository other than the one around its working directory (the list of
 * `git rev-parse --local-env-vars`). Removed, so that what is found from a task's directory alone decides, as the
 * walk up for `.git` assumes: ccfleet started from a git hook must not report the hook's repository for every task.
 */
const REPOSITORY_ENV = [
	'GIT_ALTERNATE_OBJECT_DIRECTORIES',
	'GIT_CONFIG',
	'GIT_CONFIG_PARAMETERS',
	'GIT_CONFIG_COUNT',
	'GIT_OBJECT_DIRECTORY',
	'GIT_DIR',
	'GIT_WORK_TREE',
	'GIT_IMPLICIT_WORK_TREE',
	'GIT_GRAFT_FILE',
	'GIT_INDEX_FILE',
	'GIT_NO_REPLACE_OBJECTS',
	'GIT_REPLACE_REF_BASE',
	'GIT_PREFIX',
	'GIT_INTERNAL_SUPER_PREFIX',
	'GIT_SHALLOW_FILE',
	'GIT_COMMON_DIR',
];

export type GitCliInspectorOptions = {
	/** The environment git runs in. @default process.env */
	env?: NodeJS.ProcessEnv;
	/** @default 5000 */
	timeoutMs?: number;
	/** Milliseconds since the epoch; the not-a-repository memory ages by it. @default Date.now */
	now?: () => number;
	/** The POSIX shell that starts git. @default '/bin/sh' */
	shellPath?: string;
};

export type GitCliInspector = GitInspector & {
	/** Ends the helper shell (a later snapshot starts another). Idempotent. */
	close(): void;
};

/**
 * Reads a repository's state with one `git status --porcelain=v2 --branch -z`, started by a long-lived helper shell
 * (see GitStatusShell). A directory with no `.git` file or directory in it or above it is outside any work tree, so no
 * git is started for it; that answer, and git's own "not a repository", are remembered for NOT_A_REPO_RECHECK_MS.
 * A bare repository has no work tree and so no snapshot, as before.
 */
export function createGitCliInspector(options: GitCliInspectorOptions = {}): GitCliInspector {
	const env = {...(options.env ?? process.env)};
	for (const name of REPOSITORY_ENV) delete env[name];
	const now = options.now ?? Date.now;
	const shell = new GitStatusShell({env, timeoutMs: options.timeoutMs ?? GIT_TIMEOUT_MS, ...(options.shellPath ? {shellPath: options.shellPath} : {})});
	const notRepos = new Map<string, number>();

	const remember = (dir: string) => {
		notRepos.delete(dir);
		if (notRepos.size >= NOT_A_REPO_CACHE_SIZE) notRepos.delete(notRepos.keys().next().value!);
		notRepos.set(dir, now() + NOT_A_REPO_RECHECK_MS);
	};

	return {
		async snapshot(cwd: string): Promise<Checkpoint['git'] | undefined> {
			const dir = path.resolve(cwd);
			const recheckAt = notRepos.get(dir);
			if (recheckAt !== undefined) {
				if (now() < recheckAt) return undefined;
				notRepos.delete(dir);
			}
			if (!(await hasGitEntry(dir))) {
				remember(dir);
				return undefined;
			}
			const run = await shell.run(dir);
			if (run?.exitCode === GIT_FATAL_EXIT) remember(dir);
			return run?.exitCode === 0 ? parseStatus(run.stdout) : undefined;
		},
		close: () => shell.close(),
	};
}

/** The inspector the core uses. */
export const gitCliInspector: GitCliInspector = createGitCliInspector();

/**
 * Whether `dir` or a directory above it holds a `.git` entry: a directory, or the file that a linked worktree or a
 * submodule has. A few stat calls, no process. Anything other than "no such entry" is left for git to judge.
 */
async function hasGitEntry(dir: string): Promise<boolean> {
	for (let current = dir; ; current = path.dirname(current)) {
		try {
			await stat(path.join(current, '.git'));
			return true;
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== 'ENOENT' && code !== 'ENOTDIR') return true;
		}
		if (path.dirname(current) === current) return false;
	}
}

/** Reads `git status --porcelain=v2 --branch -z`: paths relative to the repository's root, a rename by its new path. */
function parseStatus(stdout: Buffer): Checkpoint['git'] | undefined {
	const records = stdout.toString('utf8').split('\0');
	let sha: string | undefined;
	let branch: string | undefined;
	const dirtyFiles: string[] = [];
	for (let index = 0; index < records.length; index++) {
		const record = records[index]!;
		switch (record.charAt(0)) {
			case '#':
				if (record.startsWith('# branch.oid ')) sha = record.slice('# branch.oid '.length);
				else if (record.startsWith('# branch.head ')) branch = record.slice('# branch.head '.length);
				break;
			case '1':
				dirtyFiles.push(afterFields(record, 8));
				break;
			case '2':
				dirtyFiles.push(afterFields(record, 9));
				// The next record is the path it was renamed or copied from.
				index++;
				break;
			case 'u':
				dirtyFiles.push(afterFields(record, 10));
				break;
			case '?':
				dirtyFiles.push(record.slice(2));
				break;
		}
	}
	if (sha === undefined || branch === undefined) return undefined;
	// Kept as `git rev-parse --abbrev-ref HEAD` named them, so checkpoints read as they always have.
	return {branch: branch === '(detached)' ? 'HEAD' : branch, sha: sha === '(initial)' ? NO_COMMITS : sha, dirtyFiles};
}

/** What follows the first `count` space-separated fields: the path, which may itself hold spaces. */
function afterFields(record: string, count: number): string {
	let at = 0;
	for (let field = 0; field < count; field++) at = record.indexOf(' ', at) + 1;
	return record.slice(at);
}
