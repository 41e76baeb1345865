import type {Logger} from '../../core/ports/logger.js';
import type {WorkerHandle, WorkerListener, WorkerSpec} from '../../core/ports/worker-driver.js';
import {startPtyProcess, type ProcessEnd, type PtyProcess} from '../spawner/pty-process.js';
import {readProcessStartTime} from '../system/process-info.js';
import {killProcessTree, WORKER_MARKER_ENV} from '../system/process-tree.js';
import {claudeArgs, fitsInArgv} from './claude-args.js';
import {HOOK_SECRET_ENV, hookSettings} from './hook-server.js';
import type {PtyDriverOptions} from './pty-driver.js';
import {PtyHooks} from './pty-hooks.js';
import {WorkerScreen} from './screen.js';
import {StartupScreen, type StartupDialog} from './startup-dialogs.js';
import {claudeConfigDir, readTranscriptUsage, transcriptPath} from './transcript.js';
import {TurnOutcome} from './worker-exit.js';
import {workerEnv} from './worker-env.js';
import {WorkerStopper} from './worker-stop.js';
import {messageOf} from '../../core/domain/errors.js';

export type PtyWorkerOptions = Required<Omit<PtyDriverOptions, 'logger'>> & {logger: Logger};

/** If claude is still there this long after `/exit`, it is stopped. */
const EXIT_GRACE_MS = 5_000;
/** Longest wait at exit for the screen to show what claude wrote last. */
const SCREEN_SETTLE_MS = 1_000;
/** "Resume this session with:" and "claude --resume <id>", which claude prints as it exits. */
const RESUME_HINT = /^(Resume this session with:?|claude --resume \S+)$/;

/** Resolves when `work` does, or after `ms` at the latest. */
function settled(work: Promise<void>, ms: number): Promise<void> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<void>(resolve => {
		timer = setTimeout(resolve, ms);
	});
	return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** One claude TUI in a pty: its process, its screen, its hooks, and the handle the core holds. */
export class PtyWorker {
	readonly handle: WorkerHandle;
	readonly #spec: WorkerSpec;
	readonly #listener: WorkerListener;
	readonly #options: PtyWorkerOptions;
	readonly #screen: WorkerScreen;
	readonly #process: PtyProcess;
	readonly #unregisterHooks: () => void;
	readonly #transcript: string;
	readonly #outcome = new TurnOutcome();
	readonly #hooks: PtyHooks;
	readonly #startup: StartupScreen;
	readonly #stopper: WorkerStopper;
	readonly #stopTarget: ConstructorParameters<typeof WorkerStopper>[0];
	readonly #attached = new Set<(data: string) => void>();
	#markExited!: () => void;
	#hasExited = false;
	#turnStarted = false;
	#exitTimer: NodeJS.Timeout | undefined;
	/** Stopped by the grace timer after `/exit`, not by anyone's stop. */
	#isLeavingAfterTurn = false;

	constructor(spec: WorkerSpec, listener: WorkerListener, options: PtyWorkerOptions) {
		this.#spec = spec;
		this.#listener = listener;
		this.#options = options;
		this.#screen = new WorkerScreen(options.columns, options.rows);
		this.#transcript = transcriptPath(claudeConfigDir(options.env), spec.cwd, spec.sessionId);
		const exited = new Promise<void>(resolve => {
			this.#markExited = resolve;
		});
		this.#hooks = new PtyHooks(listener, this.#outcome, {
			onTurnStarted: () => {
				this.#turnStarted = true;
			},
			onTurnEnded: () => {
				this.#reportUsage();
				this.#endSession();
			},
			onUsageLimited: () => this.#reportUsage(),
			// claude shows times in its own zone: the worker's TZ, else the machine's, which ccfleet shares.
			timeZone: () => options.env['TZ'] || Intl.DateTimeFormat().resolvedOptions().timeZone,
			hasExited: () => this.#hasExited,
		});
		const hooks = options.hooks.register(spec.taskId, this.#hooks.handle);
		this.#unregisterHooks = hooks.unregister;
		const inline = fitsInArgv(spec.prompt);
		const settings = hookSettings(hooks.url, options.permissionTimeoutSeconds);
		const args = claudeArgs(spec, {settings, ...(inline ? {prompt: spec.prompt} : {})});
		const env = workerEnv(options.env, {
			TERM: 'xterm-256color',
			COLORTERM: 'truecolor',
			[WORKER_MARKER_ENV]: spec.taskId,
			CCFLEET_HOOK_URL: hooks.url,
			[HOOK_SECRET_ENV]: hooks.secret,
		});
		try {
			this.#process = startPtyProcess(options.claudePath, args, {columns: options.columns, rows: options.rows, cwd: spec.cwd, env});
		} catch (error) {
			this.#unregisterHooks();
			this.#screen.dispose();
			throw new Error(this.#startFailure(error), {cause: error});
		}
		const child = this.#process;
		this.#stopTarget = {
			taskId: spec.taskId,
			// Known once the process runs (the spawner starts it a moment later); a stop asked before is carried out then.
			pid: undefined,
			exited,
			hasExited: () => this.#hasExited,
			killGraceMs: options.killGraceMs,
			logger: options.logger,
		};
		this.#stopper = new WorkerStopper(this.#stopTarget);
		this.#startup = new StartupScreen(
			{
				screen: this.#screen,
				write: data => this.#write(data),
				isPastStartup: () => this.#hasExited || this.#turnStarted,
				onAnswered: dialog => this.#onDialogAnswered(dialog),
				onRefused: (dialog, reason) => {
					this.#outcome.failed(reason);
					void this.#stopper.stop(`start-up dialog: ${dialog}`);
				},
			},
			{trustWorkspace: options.trustWorkspace, approveApiKey: options.approveApiKey, permissionMode: spec.permissionMode, cwd: spec.cwd},
			inline ? undefined : spec.prompt,
		);
		this.handle = {
			stop: reason => this.#stopper.stop(reason),
			screen: () => this.#screen.lines(),
			answer: decision => this.#hooks.answer(decision),
			write: data => this.#write(data),
			attach: onData => {
				this.#attached.add(onData);
				return () => {
					this.#attached.delete(onData);
					// Back to the size the headless screen is kept at, once nobody looks at another size.
					if (this.#attached.size === 0) this.#resize(options.columns, options.rows);
				};
			},
			resize: (columns, rows) => this.#resize(columns, rows),
		};
		child.started.then(
			pid => this.#onStarted(pid),
			(error: unknown) => {
				this.#outcome.failed(this.#startFailure(error));
				this.#onExit({exitCode: null, signal: null});
			},
		);
		child.onData(data => {
			this.#screen.write(data);
			for (const onData of this.#attached) onData(data);
			this.#startup.onOutput();
		});
		child.onExit(end => this.#onExit(end));
	}

	#startFailure(error: unknown): string {
		return `${this.#options.claudePath} could not be started in ${this.#spec.cwd}: ${messageOf(error)}`;
	}

	#onStarted(pid: number): void {
		this.#stopTarget.pid = pid;
		this.#listener.onSpawned({pid, startTime: readProcessStartTime(pid) ?? 0});
		if (this.#stopper.isStopping) {
			void killProcessTree({pid}, this.#options.killGraceMs, this.#spec.taskId);
			return;
		}
		this.#listener.onState('starting');
	}

	#write(data: string): void {
		if (!this.#hasExited) this.#process.write(data);
	}

	#resize(columns: number, rows: number): void {
		if (this.#hasExited) return;
		const safeColumns = Math.max(20, Math.min(500, Math.floor(columns)));
		const safeRows = Math.max(5, Math.min(300, Math.floor(rows)));
		// claude redraws its whole screen on a resize, which is what a person attaching needs to see first.
		this.#process.resize(safeColumns, safeRows);
		this.#screen.resize(safeColumns, safeRows);
	}

	#onDialogAnswered(dialog: StartupDialog): void {
		this.#options.logger.info('answering a claude start-up dialog', {taskId: this.#spec.taskId, dialog});
		this.#listener.onOutput(`[ccfleet] answered claude's ${dialog} dialog\n`);
	}

	/** The task is one turn: once it ends, leave claude so the process exits and the task completes. */
	#endSession(): void {
		if (this.#hasExited || this.#stopper.isStopping) return;
		this.#write('/exit\r');
		this.#exitTimer ??= setTimeout(() => {
			// The turn is over and its answer is in hand: a claude too slow to leave (a loaded machine) is ended, and that
			// end is the clean exit it was asked for, not a failure of the work it finished.
			this.#isLeavingAfterTurn = true;
			void this.#stopper.stop('claude did not exit after /exit');
		}, EXIT_GRACE_MS);
	}

	#reportUsage(): void {
		const usage = readTranscriptUsage(this.#transcript);
		if (usage) this.#listener.onUsage(usage);
	}

	#onExit(end: ProcessEnd): void {
		if (this.#hasExited) return;
		this.#hasExited = true;
		this.#startup.dispose();
		clearTimeout(this.#exitTimer);
		this.#hooks.release();
		this.#unregisterHooks();
		this.#reportUsage();
		// What claude wrote last (often why it stopped) may not be on the screen yet: the terminal renders in batches.
		void settled(this.#screen.flush(), SCREEN_SETTLE_MS).then(() => {
			const exit = this.#outcome.exit(this.#isLeavingAfterTurn ? {exitCode: 0, signal: null} : end, () => this.#lastWords());
			this.#markExited();
			this.#listener.onExit(exit);
		});
	}

	/** When claude dies before any turn ends, its last screen usually says why ("Not logged in", a trust refusal). */
	#lastWords(): string | undefined {
		// The hint a TUI prints on its way out says nothing about why it left; what it showed before it left may.
		const meaningful = (lines: string[]) => lines.map(line => line.trim()).filter(line => line && !RESUME_HINT.test(line));
		const left = meaningful(this.#screen.left());
		const lines = left.length > 0 ? left : meaningful(this.#screen.lines());
		if (lines.length === 0) return undefined;
		return `claude ended before finishing its turn. Its last screen: ${lines.slice(-4).join(' | ')}`;
	}
}
