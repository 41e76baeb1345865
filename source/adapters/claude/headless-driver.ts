import {createInterface} from 'node:readline';
import {execa, type ResultPromise} from 'execa';
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
import {describeTool, TRANSIENT_API_ERRORS} from './hook-output.js';
import {claudeConfigDir, hasTranscript} from './transcript.js';
import {workerEnv} from './worker-env.js';

export type HeadlessDriverOptions = {
	claudePath: string;
	env: NodeJS.ProcessEnv;
	killGraceMs?: number;
	logger?: Logger;
};

/** Lines of output kept as the "screen" of a headless worker, which has no terminal. */
const SCREEN_LINES = 40;

type StreamMessage = {
	type?: string;
	subtype?: string;
	state?: string;
	request_id?: string;
	request?: {subtype?: string; tool_name?: string; input?: Record<string, unknown>; tool_use_id?: string};
	message?: {content?: unknown};
	result?: string;
	is_error?: boolean;
	errors?: string[];
	total_cost_usd?: number;
	usage?: {input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number};
	error?: string;
};

/**
 * claude in print mode speaking stream-json on stdin and stdout: structured results with claude's own cost,
 * permission questions as control requests, no terminal. About half the memory of a TUI worker.
 */
export class HeadlessWorkerDriver implements WorkerDriver {
	readonly #options: Required<HeadlessDriverOptions>;

	constructor(options: HeadlessDriverOptions) {
		this.#options = {killGraceMs: 3_000, logger: silentLogger, ...options};
	}

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return new HeadlessWorker(spec, listener, this.#options).handle;
	}

	canResume(spec: {cwd: string; sessionId: string}): boolean {
		return hasTranscript(claudeConfigDir(this.#options.env), spec.cwd, spec.sessionId);
	}
}

class HeadlessWorker {
	readonly handle: WorkerHandle;
	readonly #spec: WorkerSpec;
	readonly #listener: WorkerListener;
	readonly #options: Required<HeadlessDriverOptions>;
	readonly #process: ResultPromise;
	readonly #screen: string[] = [];
	#pending: {requestId: string; question: PermissionQuestion; input: Record<string, unknown>} | undefined;
	#result: string | undefined;
	#error: string | undefined;
	#apiError: string | undefined;
	#hasExited = false;
	#stopping: Promise<void> | undefined;

	constructor(spec: WorkerSpec, listener: WorkerListener, options: Required<HeadlessDriverOptions>) {
		this.#spec = spec;
		this.#listener = listener;
		this.#options = options;
		this.handle = {
			stop: reason => this.#stop(reason),
			screen: () => [...this.#screen],
			answer: decision => this.#answer(decision),
			write: data => this.#send({type: 'user', message: {role: 'user', content: data.replace(/\r$/, '')}}),
		};
		const args = [
			'-p',
			'--input-format',
			'stream-json',
			'--output-format',
			'stream-json',
			'--verbose',
			'--permission-prompt-tool',
			'stdio',
			spec.resume ? '--resume' : '--session-id',
			spec.sessionId,
			'--permission-mode',
			spec.permissionMode,
			...(spec.model ? ['--model', spec.model] : []),
			...(spec.systemPrompt ? ['--append-system-prompt', spec.systemPrompt] : []),
		];
		const env = workerEnv(options.env, {CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS: '1', [WORKER_MARKER_ENV]: spec.taskId});
		// Its own process group and session, so stop() can end everything it started.
		this.#process = execa(options.claudePath, args, {cwd: spec.cwd, env, extendEnv: false, detached: true, buffer: false, reject: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', cleanup: false});
		const child = this.#process;
		if (child.pid === undefined) {
			// execa reports a spawn failure (missing binary, bad cwd) through the promise, handled in #watchExit.
			this.#screenLine(`could not start ${options.claudePath}`);
		} else {
			listener.onSpawned({pid: child.pid, startTime: readProcessStartTime(child.pid) ?? 0});
		}
		listener.onState('starting');
		createInterface({input: child.stdout!}).on('line', line => this.#onLine(line));
		let stderr = '';
		child.stderr!.on('data', (chunk: Buffer) => {
			stderr = (stderr + chunk.toString()).slice(-2_000);
		});
		child.stdin!.on('error', () => undefined);
		// The prompt goes in on stdin, so it may be megabytes long (argv caps one argument at 128 KiB).
		this.#send({type: 'user', message: {role: 'user', content: spec.prompt}});
		void this.#watchExit(() => stderr);
	}

	#send(message: object): void {
		if (this.#hasExited || this.#process.stdin?.destroyed) return;
		this.#process.stdin?.write(`${JSON.stringify(message)}\n`);
	}

	#onLine(line: string): void {
		let message: StreamMessage;
		try {
			message = JSON.parse(line) as StreamMessage;
		} catch {
			return; // not a protocol line
		}
		switch (message.type) {
			case 'system':
				if (message.subtype === 'session_state_changed' && message.state === 'running') this.#listener.onState('busy');
				if (message.subtype === 'permission_denied') this.#output(`  ⎿ denied: ${String((message as {message?: string}).message ?? '')}`);
				return;
			case 'assistant':
				if (message.error) this.#apiError = message.error;
				this.#listener.onState(this.#pending ? 'needs_input' : 'busy', this.#pending?.question);
				for (const block of contentBlocks(message.message?.content)) {
					if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) this.#output(block.text);
					if (block.type === 'tool_use') this.#output(`⏺ ${describeTool(block.name, block.input)}`);
				}
				return;
			case 'user':
				for (const block of contentBlocks(message.message?.content)) {
					if (block.type === 'tool_result') this.#output(`  ⎿ ${oneLine(block.content)}`);
				}
				return;
			case 'control_request':
				if (message.request?.subtype === 'can_use_tool' && message.request_id) this.#onPermissionRequest(message.request_id, message.request);
				return;
			case 'result':
				this.#onResult(message);
				return;
			default:
				// The stream grows with every claude release; unknown messages are ignored on purpose.
				return;
		}
	}

	#onPermissionRequest(requestId: string, request: NonNullable<StreamMessage['request']>): void {
		const input = request.input ?? {};
		const question: PermissionQuestion = {toolName: request.tool_name ?? 'a tool', toolInput: input, question: `Allow ${describeTool(request.tool_name, input)}?`};
		this.#pending = {requestId, question, input};
		this.#output(`? permission needed: ${describeTool(request.tool_name, input)}`);
		this.#listener.onState('needs_input', question);
	}

	#answer(decision: PermissionDecision): boolean {
		const pending = this.#pending;
		if (!pending) return false;
		this.#pending = undefined;
		const response = decision.behavior === 'allow' ? {behavior: 'allow', updatedInput: pending.input} : {behavior: 'deny', message: decision.message};
		this.#send({type: 'control_response', response: {subtype: 'success', request_id: pending.requestId, response}});
		this.#output(`[ccfleet] permission ${decision.behavior === 'allow' ? 'granted' : 'denied'}: ${pending.question.question}`);
		this.#listener.onState('busy');
		return true;
	}

	#onResult(message: StreamMessage): void {
		const usage = message.usage ?? {};
		this.#listener.onUsage({
			costUsd: message.total_cost_usd ?? 0,
			tokens: {
				input: usage.input_tokens ?? 0,
				output: usage.output_tokens ?? 0,
				cacheRead: usage.cache_read_input_tokens ?? 0,
				cacheCreation: usage.cache_creation_input_tokens ?? 0,
			},
		});
		if (message.is_error) {
			this.#error = `claude stopped with an error (${message.subtype ?? 'error'}): ${(message.errors ?? []).join('; ') || message.result || 'no details'}`;
		} else {
			this.#result = message.result ?? '';
			this.#error = undefined;
		}
		// The result usually repeats the last assistant text, already in the output.
		if (message.result && !this.#screen.join('\n').endsWith(message.result)) this.#output(message.result);
		this.#listener.onState('idle');
		// One task is one turn: closing stdin lets claude finish and exit 0.
		this.#process.stdin?.end();
	}

	async #watchExit(stderr: () => string): Promise<void> {
		const result = await this.#process;
		this.#hasExited = true;
		const signal = result.signal ?? null;
		const exit: WorkerExit = signal ? {exitCode: null, signal} : {exitCode: result.exitCode ?? null, signal: null};
		if (this.#result !== undefined) exit.result = this.#result;
		const tail = stderr().trim();
		const error = this.#error ?? (this.#result === undefined && !signal ? `claude ended before finishing its turn${tail ? `: ${tail.split('\n').slice(-3).join(' | ')}` : result.failed && result.message ? `: ${result.message}` : '.'}` : undefined);
		if (error) exit.error = error;
		if (this.#result === undefined && this.#apiError && TRANSIENT_API_ERRORS.has(this.#apiError)) exit.transient = true;
		this.#listener.onExit(exit);
	}

	async #stop(reason: string): Promise<void> {
		if (this.#hasExited) return;
		this.#stopping ??= (async () => {
			this.#options.logger.info('stopping worker', {taskId: this.#spec.taskId, reason});
			const pid = this.#process.pid;
			if (pid !== undefined) await killProcessTree({pid}, this.#options.killGraceMs, this.#spec.taskId);
			await this.#process;
		})();
		await this.#stopping;
	}

	#output(text: string): void {
		this.#screenLine(text);
		this.#listener.onOutput(`${text}\n`);
	}

	#screenLine(text: string): void {
		this.#screen.push(...text.split('\n'));
		if (this.#screen.length > SCREEN_LINES) this.#screen.splice(0, this.#screen.length - SCREEN_LINES);
	}
}

type ContentBlock = {type?: string; text?: unknown; name?: unknown; input?: unknown; content?: unknown};

function contentBlocks(content: unknown): ContentBlock[] {
	return Array.isArray(content) ? (content as ContentBlock[]) : [];
}

function oneLine(content: unknown): string {
	const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map(part => (part as {text?: string}).text ?? '').join(' ') : JSON.stringify(content ?? '');
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}
