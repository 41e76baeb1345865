import os from 'node:os';
import pty from 'node-pty';
import type {Logger} from '../../core/ports/logger.js';
import {silentLogger} from '../../core/ports/logger.js';
import type {
	PermissionDecision,
	PermissionQuestion,
	WorkerDriver,
	WorkerExit,
	WorkerHandle,
	WorkerListener,
	WorkerSpec,
} from '../../core/ports/worker-driver.js';
import {readProcessStartTime} from '../system/process-info.js';
import {killProcessTree, WORKER_MARKER_ENV} from '../system/process-tree.js';
import {hookSettings, type HookEvent, type HookPayload, type HookServer} from './hook-server.js';
import {describeTool, formatHookOutput, TRANSIENT_API_ERRORS} from './hook-output.js';
import {detectStartupDialog, isPromptReady, WorkerScreen, type StartupDialog} from './screen.js';
import {claudeConfigDir, hasTranscript, readTranscriptUsage, transcriptPath} from './transcript.js';
import {workerEnv} from './worker-env.js';

export type PtyDriverOptions = {
	claudePath: string;
	/** The environment workers start from (cleaned of a parent Claude Code session's markers). */
	env: NodeJS.ProcessEnv;
	hooks: HookServer;
	/** Answer claude's "do you trust this folder?" with yes. The user chose the folder when delegating. */
	trustWorkspace: boolean;
	/** Answer "use the custom API key from the environment?" with yes. */
	approveApiKey: boolean;
	columns?: number;
	rows?: number;
	/** Time between SIGTERM and SIGKILL when a worker is stopped. */
	killGraceMs?: number;
	/** How long a permission question may wait for an answer before claude's own dialog is left to a person. */
	permissionTimeoutSeconds?: number;
	logger?: Logger;
};

/** Prompts up to this size go on the command line (Linux caps one argument at 128 KiB); larger ones are pasted. */
const ARGV_PROMPT_MAX_BYTES = 100 * 1024;
/** If claude is still there this long after `/exit`, it is stopped. */
const EXIT_GRACE_MS = 5_000;
const SCREEN_CHECK_MS = 60;
/**
 * Each of these dialogs defaults to the refusing choice: move to the accepting one, then confirm. The TUI drops
 * keys that arrive in one burst, so they are typed one at a time.
 */
const DIALOG_KEYS: Record<StartupDialog, string[]> = {
	trust: ['\u001B[B', '\r'],
	'api-key': ['\u001B[A', '\r'],
	'bypass-permissions': ['\u001B[B', '\r'],
};
const KEY_GAP_MS = 200;

/**
 * The interactive claude TUI in a pty, one headless terminal per worker holding its screen. State comes from
 * hooks forwarded over loopback HTTP; the screen is read only for the start-up dialogs hooks cannot see.
 */
type ResolvedOptions = Required<Omit<PtyDriverOptions, 'logger'>> & {logger: Logger};

export class PtyWorkerDriver implements WorkerDriver {
	readonly #options: ResolvedOptions;

	constructor(options: PtyDriverOptions) {
		this.#options = {
			columns: 120,
			rows: 40,
			killGraceMs: 3_000,
			permissionTimeoutSeconds: 24 * 60 * 60,
			logger: silentLogger,
			...options,
		};
	}

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return new PtyWorker(spec, listener, this.#options).handle;
	}

	canResume(spec: {cwd: string; sessionId: string}): boolean {
		return hasTranscript(claudeConfigDir(this.#options.env), spec.cwd, spec.sessionId);
	}
}

type PendingPermission = {question: PermissionQuestion; answer: (decision: PermissionDecision | undefined) => void};

class PtyWorker {
	readonly handle: WorkerHandle;
	readonly #spec: WorkerSpec;
	readonly #listener: WorkerListener;
	readonly #options: ResolvedOptions;
	readonly #screen: WorkerScreen;
	readonly #process: pty.IPty | undefined;
	readonly #unregisterHooks: () => void;
	readonly #transcript: string;
	readonly #exited: Promise<void>;
	#markExited!: () => void;
	#hasExited = false;
	#result: string | undefined;
	#error: string | undefined;
	#transient = false;
	#promptPending: string | undefined;
	#turnStarted = false;
	#answeredDialogs = new Set<StartupDialog>();
	#screenCheck: NodeJS.Timeout | undefined;
	#exitTimer: NodeJS.Timeout | undefined;
	#pending: PendingPermission | undefined;
	#stopping: Promise<void> | undefined;
	readonly #attached = new Set<(data: string) => void>();

	constructor(spec: WorkerSpec, listener: WorkerListener, options: ResolvedOptions) {
		this.#spec = spec;
		this.#listener = listener;
		this.#options = options;
		this.#screen = new WorkerScreen(options.columns, options.rows);
		this.#transcript = transcriptPath(claudeConfigDir(options.env), spec.cwd, spec.sessionId);
		this.#exited = new Promise(resolve => {
			this.#markExited = resolve;
		});
		this.handle = {
			stop: reason => this.#stop(reason),
			screen: () => this.#screen.lines(),
			answer: decision => this.#answer(decision),
			write: data => this.#process?.write(data),
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

		const hooks = options.hooks.register(spec.taskId, (event, payload, closed) => this.#onHook(event, payload, closed));
		this.#unregisterHooks = hooks.unregister;
		const inline = Buffer.byteLength(spec.prompt) <= ARGV_PROMPT_MAX_BYTES;
		if (!inline) this.#promptPending = spec.prompt;
		const args = [
			spec.resume ? '--resume' : '--session-id',
			spec.sessionId,
			'--permission-mode',
			spec.permissionMode,
			...(spec.model ? ['--model', spec.model] : []),
			...(spec.systemPrompt ? ['--append-system-prompt', spec.systemPrompt] : []),
			'--settings',
			JSON.stringify(hookSettings(hooks.url, hooks.secret, options.permissionTimeoutSeconds)),
			...(inline ? ['--', spec.prompt] : []),
		];
		const env = workerEnv(options.env, {
			TERM: 'xterm-256color',
			COLORTERM: 'truecolor',
			[WORKER_MARKER_ENV]: spec.taskId,
			CCFLEET_HOOK_URL: hooks.url,
			CCFLEET_HOOK_SECRET: hooks.secret,
		});
		try {
			this.#process = pty.spawn(options.claudePath, args, {
				name: 'xterm-256color',
				cols: options.columns,
				rows: options.rows,
				cwd: spec.cwd,
				env,
			});
		} catch (error) {
			this.#unregisterHooks();
			this.#screen.dispose();
			throw new Error(`${options.claudePath} could not be started in ${spec.cwd}: ${error instanceof Error ? error.message : String(error)}`);
		}
		const child = this.#process;
		listener.onSpawned({pid: child.pid, startTime: readProcessStartTime(child.pid) ?? 0});
		listener.onState('starting');
		child.onData(data => {
			this.#screen.write(data);
			for (const listener of this.#attached) listener(data);
			if (!this.#turnStarted) this.#scheduleScreenCheck();
		});
		child.onExit(({exitCode, signal}) => this.#onExit(exitCode, signal));
	}

	#resize(columns: number, rows: number): void {
		if (this.#hasExited || !this.#process) return;
		const safeColumns = Math.max(20, Math.min(500, Math.floor(columns)));
		const safeRows = Math.max(5, Math.min(300, Math.floor(rows)));
		// claude redraws its whole screen on a resize, which is what a person attaching needs to see first.
		this.#process.resize(safeColumns, safeRows);
		this.#screen.resize(safeColumns, safeRows);
	}

	#scheduleScreenCheck(): void {
		this.#screenCheck ??= setTimeout(() => {
			this.#screenCheck = undefined;
			void this.#checkScreen();
		}, SCREEN_CHECK_MS);
	}

	/** Before the first turn starts, answers start-up dialogs and pastes a prompt too large for argv. */
	async #checkScreen(): Promise<void> {
		if (this.#hasExited || this.#turnStarted) return;
		await this.#screen.flush();
		const text = this.#screen.text();
		const dialog = detectStartupDialog(text);
		if (dialog && !this.#answeredDialogs.has(dialog)) {
			this.#answerDialog(dialog);
			return;
		}
		if (this.#promptPending !== undefined && isPromptReady(text)) {
			const prompt = this.#promptPending;
			this.#promptPending = undefined;
			// A paste-end sequence inside the text would end the paste early and submit half the prompt.
			const safe = prompt.replaceAll('\u001B[201~', '');
			this.#process?.write(`\u001B[200~${safe}\u001B[201~`);
			setTimeout(() => this.#process?.write('\r'), 300);
		}
	}

	#answerDialog(dialog: StartupDialog): void {
		const allowed =
			dialog === 'trust' ? this.#options.trustWorkspace : dialog === 'api-key' ? this.#options.approveApiKey : this.#spec.permissionMode === 'bypassPermissions';
		if (!allowed) {
			this.#error =
				dialog === 'trust'
					? `claude asks whether to trust ${this.#spec.cwd} and ccfleet is set not to answer it (CCFLEET_TRUST_WORKSPACE=0). Run claude once in that folder and trust it, or allow ccfleet to.`
					: dialog === 'api-key'
						? 'claude asks whether to use the API key from the environment and ccfleet is set not to answer it (CCFLEET_APPROVE_API_KEY=0). Approve it once in claude, or allow ccfleet to.'
						: 'claude asks to confirm bypass-permissions mode.';
			void this.#stop(`start-up dialog: ${dialog}`);
			return;
		}
		this.#answeredDialogs.add(dialog);
		this.#options.logger.info('answering a claude start-up dialog', {taskId: this.#spec.taskId, dialog});
		this.#listener.onOutput(`[ccfleet] answered claude's ${dialog} dialog\n`);
		void this.#type(DIALOG_KEYS[dialog]);
	}

	async #type(keys: string[]): Promise<void> {
		for (const key of keys) {
			// The dialog is drawn a moment before it takes keys; a key sent at once is lost.
			await new Promise(resolve => setTimeout(resolve, KEY_GAP_MS));
			if (this.#hasExited) return;
			this.#process?.write(key);
		}
	}

	async #onHook(event: HookEvent, payload: HookPayload, closed: AbortSignal): Promise<object> {
		const text = formatHookOutput(event, payload);
		if (text) this.#listener.onOutput(text);
		switch (event) {
			case 'UserPromptSubmit':
			case 'PreToolUse':
			case 'PostToolUse':
			case 'PostToolUseFailure':
			case 'PermissionDenied':
				this.#turnStarted = true;
				this.#settlePermission();
				this.#listener.onState('busy');
				return {};
			case 'PermissionRequest':
				return this.#onPermissionRequest(payload, closed);
			case 'Stop':
				this.#settlePermission();
				this.#result = typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '';
				this.#error = undefined;
				this.#listener.onState('idle');
				this.#reportUsage();
				this.#endSession();
				return {};
			case 'StopFailure':
				this.#settlePermission();
				this.#error = stopFailureReason(payload);
				this.#transient = TRANSIENT_API_ERRORS.has(String(payload.error));
				this.#listener.onState('idle');
				this.#reportUsage();
				this.#endSession();
				return {};
			case 'SessionStart':
			case 'Notification':
			case 'SessionEnd':
				return {};
		}
	}

	#onPermissionRequest(payload: HookPayload, closed: AbortSignal): Promise<object> {
		this.#settlePermission();
		const question: PermissionQuestion = {
			toolName: String(payload.tool_name ?? 'a tool'),
			toolInput: payload.tool_input ?? {},
			question: `Allow ${describeTool(payload.tool_name, payload.tool_input)}?`,
		};
		this.#listener.onState('needs_input', question);
		return new Promise(resolve => {
			const pending: PendingPermission = {
				question,
				answer: decision => {
					if (this.#pending === pending) this.#pending = undefined;
					resolve(decision ? {hookSpecificOutput: {hookEventName: 'PermissionRequest', decision}} : {});
				},
			};
			this.#pending = pending;
			// Answered on claude's own screen (someone attached), or claude gave up waiting: no longer ours to answer.
			closed.addEventListener('abort', () => {
				if (this.#pending !== pending) return;
				this.#pending = undefined;
				if (!this.#hasExited) this.#listener.onState('busy');
			});
		});
	}

	#answer(decision: PermissionDecision): boolean {
		const pending = this.#pending;
		if (!pending) return false;
		pending.answer(decision);
		this.#listener.onOutput(`[ccfleet] permission ${decision.behavior === 'allow' ? 'granted' : 'denied'}: ${pending.question.question}\n`);
		this.#listener.onState('busy');
		return true;
	}

	/** A later hook means the question was settled elsewhere; release a held call so nothing waits on it. */
	#settlePermission(): void {
		this.#pending?.answer(undefined);
	}

	/** The task is one turn: once it ends, leave claude so the process exits and the task completes. */
	#endSession(): void {
		if (this.#hasExited || this.#stopping) return;
		this.#process?.write('/exit\r');
		this.#exitTimer ??= setTimeout(() => void this.#stop('claude did not exit after /exit'), EXIT_GRACE_MS);
	}

	#reportUsage(): void {
		const usage = readTranscriptUsage(this.#transcript);
		if (usage) this.#listener.onUsage(usage);
	}

	async #stop(reason: string): Promise<void> {
		if (this.#hasExited) return;
		this.#stopping ??= (async () => {
			this.#options.logger.info('stopping worker', {taskId: this.#spec.taskId, reason});
			const child = this.#process;
			if (child) await killProcessTree({pid: child.pid}, this.#options.killGraceMs, this.#spec.taskId);
			await this.#exited;
		})();
		await this.#stopping;
	}

	#onExit(exitCode: number, signal: number | undefined): void {
		if (this.#hasExited) return;
		this.#hasExited = true;
		clearTimeout(this.#screenCheck);
		clearTimeout(this.#exitTimer);
		this.#settlePermission();
		this.#unregisterHooks();
		this.#reportUsage();
		const exit: WorkerExit = signal
			? {exitCode: null, signal: signalName(signal)}
			: {exitCode, signal: null};
		if (this.#result !== undefined) exit.result = this.#result;
		const error = this.#error ?? (this.#result === undefined && !signal ? this.#lastWords() : undefined);
		if (error) exit.error = error;
		if (this.#transient && this.#result === undefined) exit.transient = true;
		this.#markExited();
		this.#listener.onExit(exit);
	}

	/** When claude dies before any turn ends, its last screen usually says why ("Not logged in", a trust refusal). */
	#lastWords(): string | undefined {
		const lines = this.#screen
			.lines()
			.map(line => line.trim())
			.filter(Boolean);
		if (lines.length === 0) return undefined;
		return `claude ended before finishing its turn. Its last screen: ${lines.slice(-4).join(' | ')}`;
	}
}

function stopFailureReason(payload: HookPayload): string {
	const kind = String(payload.error ?? 'unknown');
	const details = typeof payload.error_details === 'string' ? payload.error_details : '';
	const message = typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '';
	return `claude stopped with an API error (${kind})${details || message ? `: ${details || message}` : ''}`;
}

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, number]) => [number, name]));

function signalName(signal: number): string {
	return SIGNAL_NAMES.get(signal) ?? `signal ${signal}`;
}
