import {spawn, type ChildProcessByStdio} from 'node:child_process';
import type {Readable, Writable} from 'node:stream';

/** One `git status` run: its exit code and standard output. */
export type GitRun = {exitCode: number; stdout: Buffer};

/** Branch, HEAD and every changed file (untracked too) in one run; NUL-separated so no path is quoted or split. */
const GIT_STATUS_ARGS = ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-z'];

/**
 * The shell's loop: one absolute directory per line in, git's output and then a frame end out. The frame end is a NUL
 * that is either the first byte of the answer or follows the NUL that ends git's last record (git's -z records are
 * never empty, so two NULs in a row never occur inside its output), then the exit code and a newline. git reads
 * /dev/null, never the request pipe.
 */
const SHELL_LOOP = String.raw`while IFS= read -r dir; do
if cd "$dir" 2>/dev/null; then git "$@" </dev/null 2>/dev/null; rc=$?; else rc=254; fi
printf '\000%s\n' "$rc"
done`;

type Request = {dir: string; resolve: (run: GitRun | undefined) => void};
type Helper = ChildProcessByStdio<Writable, Readable, null>;

export type GitStatusShellOptions = {
	/** The environment git runs in. */
	env: NodeJS.ProcessEnv;
	/** A run that has not answered by then is killed (with the helper) and yields nothing. */
	timeoutMs: number;
	/** @default '/bin/sh' */
	shellPath?: string;
};

/**
 * Runs `git status` for a directory without forking this process each time. Node forks the whole process to start a
 * child, synchronously on the calling thread: 4-5 ms of a blocked event loop per git run at the core's 130 MB RSS, 7 ms
 * at 220 MB (bench/git-snapshot.ts); a worker thread barely helps, since the fork stalls every thread of the process.
 * So one small POSIX shell (under 2 MB) is started once, on first use, and forks git itself; each run then costs this
 * process a pipe write and a read. Runs go through it one at a time.
 * Where the shell cannot serve (no /bin/sh, a directory name with a newline, the shell died mid-run) git is
 * spawned directly.
 */
export class GitStatusShell {
	readonly #options: GitStatusShellOptions;
	readonly #waiting: Request[] = [];
	#helper: Helper | undefined;
	#isShellMissing = false;
	#current: {request: Request; timer: NodeJS.Timeout} | undefined;
	#chunks: Buffer[] = [];
	#received = 0;
	#isLastByteNul = false;
	/** Offset of the frame-end NUL in the current answer, once seen. */
	#frameEndAt: number | undefined;

	constructor(options: GitStatusShellOptions) {
		this.#options = options;
	}

	/** git's answer for an absolute directory; undefined when git could not be run or did not finish in time. */
	async run(dir: string): Promise<GitRun | undefined> {
		if (this.#isShellMissing || dir.includes('\n')) return runGitStatusOnce(dir, this.#options);
		return new Promise(resolve => {
			this.#waiting.push({dir, resolve});
			this.#next();
		});
	}

	/** Ends the helper shell; a later run starts another. Idempotent. */
	close(): void {
		this.#stop();
		for (const request of this.#waiting.splice(0)) request.resolve(undefined);
	}

	#next(): void {
		if (this.#current || this.#waiting.length === 0) return;
		const request = this.#waiting.shift()!;
		const helper = this.#isShellMissing ? undefined : (this.#helper ?? this.#start());
		if (!helper) {
			void runGitStatusOnce(request.dir, this.#options).then(request.resolve);
			this.#next();
			return;
		}
		this.#current = {request, timer: setTimeout(() => this.#finish(undefined, {isHelperSuspect: true}), this.#options.timeoutMs)};
		helper.stdin.write(`${request.dir}\n`);
	}

	#start(): Helper | undefined {
		let helper: Helper;
		try {
			// detached: its own process group, so a timeout can kill the shell together with the git it waits for.
			helper = spawn(this.#options.shellPath ?? '/bin/sh', ['-c', SHELL_LOOP, 'ccfleet-git', ...GIT_STATUS_ARGS], {
				env: this.#options.env,
				stdio: ['pipe', 'pipe', 'ignore'],
				detached: true,
			});
		} catch {
			this.#isShellMissing = true;
			return undefined;
		}
		// The helper must not keep ccfleet alive; it ends by itself when ccfleet's end closes its stdin.
		helper.unref();
		unrefStream(helper.stdin);
		unrefStream(helper.stdout);
		helper.stdin.on('error', () => {});
		helper.stdout.on('data', (chunk: Buffer) => {
			if (this.#helper === helper) this.#receive(chunk);
		});
		helper.on('error', error => {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') this.#isShellMissing = true;
			this.#lost(helper);
		});
		helper.on('exit', () => this.#lost(helper));
		this.#helper = helper;
		return helper;
	}

	/** The helper is gone: the run it held is asked of git directly. */
	#lost(helper: Helper): void {
		if (this.#helper !== helper) return;
		this.#helper = undefined;
		const current = this.#current;
		if (!current) return;
		clearTimeout(current.timer);
		this.#current = undefined;
		this.#resetFrame();
		void runGitStatusOnce(current.request.dir, this.#options).then(current.request.resolve);
		this.#next();
	}

	#receive(chunk: Buffer): void {
		this.#chunks.push(chunk);
		const chunkStart = this.#received;
		this.#received += chunk.length;
		if (this.#frameEndAt === undefined) {
			for (let at = chunk.indexOf(0); at !== -1; at = chunk.indexOf(0, at + 1)) {
				const isAfterNul = at > 0 ? chunk[at - 1] === 0 : this.#isLastByteNul;
				if (chunkStart + at === 0 || isAfterNul) {
					this.#frameEndAt = chunkStart + at;
					break;
				}
			}
			this.#isLastByteNul = chunk.at(-1) === 0;
			if (this.#frameEndAt === undefined) return;
		}
		if (!chunk.includes(10)) return;
		const answer = Buffer.concat(this.#chunks);
		const newline = answer.indexOf(10, this.#frameEndAt + 1);
		if (newline === -1) return;
		const code = answer.toString('latin1', this.#frameEndAt + 1, newline);
		const isWhole = /^\d+$/.test(code) && newline === answer.length - 1;
		this.#finish(isWhole ? {exitCode: Number(code), stdout: answer.subarray(0, this.#frameEndAt)} : undefined, {isHelperSuspect: !isWhole});
	}

	#finish(run: GitRun | undefined, {isHelperSuspect}: {isHelperSuspect: boolean}): void {
		const current = this.#current;
		if (!current) return;
		clearTimeout(current.timer);
		this.#current = undefined;
		// A late or garbled answer would be read as the next run's: start over with a fresh helper.
		if (isHelperSuspect) this.#stop();
		this.#resetFrame();
		current.request.resolve(run);
		this.#next();
	}

	#stop(): void {
		const helper = this.#helper;
		this.#helper = undefined;
		if (helper?.pid !== undefined) {
			try {
				process.kill(-helper.pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
		if (this.#current) {
			clearTimeout(this.#current.timer);
			this.#current.request.resolve(undefined);
			this.#current = undefined;
		}
		this.#resetFrame();
	}

	#resetFrame(): void {
		this.#chunks = [];
		this.#received = 0;
		this.#isLastByteNul = false;
		this.#frameEndAt = undefined;
	}
}

/** One git process for one run: the fallback where the helper shell cannot serve. */
export async function runGitStatusOnce(dir: string, {env, timeoutMs}: GitStatusShellOptions): Promise<GitRun | undefined> {
	return new Promise(resolve => {
		let child;
		try {
			child = spawn('git', GIT_STATUS_ARGS, {cwd: dir, env, stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs, killSignal: 'SIGKILL'});
		} catch {
			// A directory name that cannot be passed to the system (a NUL in it).
			resolve(undefined);
			return;
		}
		const chunks: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
		// No git on PATH, or the directory is gone.
		child.on('error', () => resolve(undefined));
		child.on('close', code => resolve(code === null ? undefined : {exitCode: code, stdout: Buffer.concat(chunks)}));
	});
}

function unrefStream(stream: Readable | Writable): void {
	(stream as Partial<{unref(): void}>).unref?.();
}
