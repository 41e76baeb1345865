import {createInterface} from 'node:readline';
import type {TokenUsage} from '../../core/domain/task.js';
import type {Logger} from '../../core/ports/logger.js';
import {silentLogger} from '../../core/ports/logger.js';
import type {PermissionDecision, PermissionQuestion, UsageLimitReport, WorkerDriver, WorkerHandle, WorkerListener, WorkerSpec} from '../../core/ports/worker-driver.js';
import {readProcessStartTime} from '../system/process-info.js';
import {startPipedProcess, type PipedProcess} from '../spawner/piped-process.js';
import {killProcessTree, WORKER_MARKER_ENV} from '../system/process-tree.js';
import {claudeArgs} from './claude-args.js';
import {contentBlocks, parseStreamLine, toolResultLine, usageLimitReport, userMessage, type StreamMessage} from './stream-json.js';
import {describeTool, permissionQuestion, toolActivity} from './tool-text.js';
import {claudeConfigDir, costOf, hasTranscript} from './transcript.js';
import {TurnOutcome} from './worker-exit.js';
import {workerEnv} from './worker-env.js';
import {WorkerStopper} from './worker-stop.js';
import {messageOf} from '../../core/domain/errors.js';

export type HeadlessDriverOptions = {
	claudePath: string;
	env: NodeJS.ProcessEnv;
	killGraceMs?: number;
	logger?: Logger;
};

/** Lines of output kept as the "screen" of a headless worker, which has no terminal. */
const SCREEN_LINES = 40;

/** Print mode speaking stream-json both ways, with permission questions as control requests on stdio. */
const HEADLESS_FLAGS = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--permission-prompt-tool', 'stdio'];

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
	readonly #listener: WorkerListener;
	readonly #process: PipedProcess;
	readonly #screen: string[] = [];
	readonly #outcome = new TurnOutcome();
	readonly #stopper: WorkerStopper;
	#pending: {requestId: string; question: PermissionQuestion; input: Record<string, unknown>} | undefined;
	#hasExited = false;
	#hasUsageLimitEvents = false;
	#isOverBudget = false;
	/** Each API message's usage so far (its last report), for the cost before the result gives the exact one. */
	readonly #messageUsage = new Map<string, {model: string; tokens: TokenUsage}>();

	constructor(spec: WorkerSpec, listener: WorkerListener, options: Required<HeadlessDriverOptions>) {
		this.#listener = listener;
		const env = workerEnv(options.env, {CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS: '1', [WORKER_MARKER_ENV]: spec.taskId});
		// Its own process group and session, so stop() can end everything it started.
		// Started by the spawner, not a fork of the core (see spawner-main.ts).
		this.#process = startPipedProcess(options.claudePath, [...HEADLESS_FLAGS, ...claudeArgs(spec)], {cwd: spec.cwd, env});
		const child = this.#process;
		let markExited!: () => void;
		const exited = new Promise<void>(resolve => {
			markExited = resolve;
		});
		const stopTarget: ConstructorParameters<typeof WorkerStopper>[0] = {
			taskId: spec.taskId,
			// Known once the spawner started it; a stop asked before is carried out then.
			pid: undefined,
			exited,
			hasExited: () => this.#hasExited,
			killGraceMs: options.killGraceMs,
			logger: options.logger,
		};
		this.#stopper = new WorkerStopper(stopTarget);
		this.handle = {
			stop: reason => this.#stopper.stop(reason),
			screen: () => [...this.#screen],
			answer: decision => this.#answer(decision),
			write: data => this.#send(userMessage(data.replace(/\r$/, ''))),
		};
		createInterface({input: child.stdout}).on('line', line => this.#onLine(line));
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => {
			stderr = (stderr + chunk.toString()).slice(-2_000);
		});
		child.stdin.on('error', () => undefined);
		// The prompt goes in on stdin, so it may be megabytes long (argv caps one argument at 128 KiB).
		this.#send(userMessage(spec.prompt));
		child.started.then(
			pid => {
				stopTarget.pid = pid;
				listener.onSpawned({pid, startTime: readProcessStartTime(pid) ?? 0});
				if (this.#stopper.isStopping) void killProcessTree({pid}, options.killGraceMs, spec.taskId);
				else listener.onState('starting');
				void this.#watchExit(() => stderr).finally(markExited);
			},
			(error: unknown) => {
				// A spawn failure (missing binary, bad cwd): the worker ends at once, saying why.
				const reason = `could not start ${options.claudePath} in ${spec.cwd}: ${messageOf(error)}`;
				this.#screenLine(reason);
				this.#outcome.failed(reason);
				this.#hasExited = true;
				markExited();
				listener.onExit(this.#outcome.exit({exitCode: null, signal: null}, () => reason));
			},
		);
	}

	#send(message: object): void {
		if (this.#hasExited || this.#process.stdin.destroyed) return;
		this.#process.stdin.write(`${JSON.stringify(message)}\n`);
	}

	#onLine(line: string): void {
		const message = parseStreamLine(line);
		switch (message?.type) {
			case 'system':
				if (message.subtype === 'session_state_changed' && message.state === 'running') this.#listener.onState('busy');
				if (message.subtype === 'permission_denied') this.#output(`  ⎿ denied: ${String((message as {message?: string}).message ?? '')}`);
				if (message.subtype === 'api_retry') this.#onApiRetry(message);
				return;
			case 'rate_limit_event':
				this.#onUsageLimit(message);
				return;
			case 'assistant':
				if (message.error) this.#outcome.metApiError(message.error);
				if (message.api_error === 'usage_limit_reached' && !this.#hasUsageLimitEvents) {
					// Not seen from 2.1.330, which sends a rate_limit_event first; kept so the limit is not missed without one.
					const report = usageLimitReport(message.api_error_params?.rate_limit_info);
					if (report) this.#reportUsageLimit(report);
				}
				this.#listener.onState(this.#pending ? 'needs_input' : 'busy', this.#pending?.question);
				this.#reportUsageSoFar(message);
				for (const block of contentBlocks(message.message?.content)) {
					if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) this.#output(block.text);
					if (block.type === 'tool_use') {
						this.#output(`⏺ ${describeTool(block.name, block.input)}`);
						this.#listener.onActivity?.(toolActivity(block.name, block.input));
					}
				}
				return;
			case 'user':
				for (const block of contentBlocks(message.message?.content)) {
					if (block.type === 'tool_result') this.#output(`  ⎿ ${toolResultLine(block.content)}`);
				}
				return;
			case 'control_request':
				if (message.request?.subtype === 'can_use_tool' && message.request_id) this.#onPermissionRequest(message.request_id, message.request);
				return;
			case 'result':
				this.#onResult(message);
				return;
			case undefined:
			default:
				// The stream grows with every claude release; unknown messages are ignored on purpose.
				return;
		}
	}

	/** claude will send a turned-away request again after a delay (the API-key path's rate limit or overload). */
	#onApiRetry(message: {retry_delay_ms?: unknown; error?: unknown}): void {
		const delayMs = typeof message.retry_delay_ms === 'number' ? message.retry_delay_ms : undefined;
		if (delayMs === undefined || delayMs <= 0) return;
		this.#listener.onRetrying?.({delayMs, error: typeof message.error === 'string' ? message.error : 'api_error'});
	}

	#onUsageLimit(message: StreamMessage): void {
		const report = usageLimitReport(message.rate_limit_info);
		if (!report) return;
		this.#hasUsageLimitEvents = true;
		this.#reportUsageLimit(report);
	}

	#reportUsageLimit(report: UsageLimitReport): void {
		this.#outcome.metUsageLimit(report);
		this.#listener.onUsageLimit?.(report);
	}

	#onPermissionRequest(requestId: string, request: NonNullable<StreamMessage['request']>): void {
		const input = request.input ?? {};
		const question = permissionQuestion(request.tool_name, input);
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

	/** Cost and tokens while the task runs, summed over its API messages; the result then says them exactly. */
	#reportUsageSoFar(message: StreamMessage): void {
		const body = message.message as {id?: string; model?: string; usage?: StreamMessage['usage']} | undefined;
		if (!body?.usage || body.model === '<synthetic>') return;
		const {usage} = body;
		this.#messageUsage.set(body.id ?? `message-${this.#messageUsage.size}`, {
			model: body.model ?? '',
			tokens: {
				input: usage.input_tokens ?? 0,
				output: usage.output_tokens ?? 0,
				cacheRead: usage.cache_read_input_tokens ?? 0,
				cacheCreation: usage.cache_creation_input_tokens ?? 0,
			},
		});
		const tokens: TokenUsage = {input: 0, output: 0, cacheRead: 0, cacheCreation: 0};
		let costUsd = 0;
		for (const one of this.#messageUsage.values()) {
			tokens.input += one.tokens.input;
			tokens.output += one.tokens.output;
			tokens.cacheRead += one.tokens.cacheRead;
			tokens.cacheCreation += one.tokens.cacheCreation;
			costUsd += costOf(one.model, one.tokens);
		}
		this.#listener.onUsage({costUsd, tokens});
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
			this.#isOverBudget = message.subtype === 'error_max_budget_usd';
			this.#outcome.failed(resultFailure(message));
		} else {
			this.#outcome.finished(message.result ?? '');
		}
		// The result usually repeats the last assistant text, already in the output.
		if (message.result && !this.#screen.join('\n').endsWith(message.result)) this.#output(message.result);
		this.#listener.onState('idle');
		// One task is one turn: closing stdin lets claude finish and exit 0.
		this.#process.stdin.end();
	}

	async #watchExit(stderr: () => string): Promise<void> {
		const end = await this.#process.ended;
		this.#hasExited = true;
		const exit = this.#outcome.exit(end, () => {
			const tail = stderr().trim();
			return `claude ended before finishing its turn${tail ? `: ${tail.split('\n').slice(-3).join(' | ')}` : '.'}`;
		});
		if (this.#isOverBudget && exit.result === undefined) exit.isOverBudget = true;
		this.#listener.onExit(exit);
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

/**
 * Why a turn whose result is an error failed, in words. claude marks an API error's result `success` (the run itself
 * went as planned), so the subtype is named only when it says something.
 */
function resultFailure(message: StreamMessage): string {
	const details = (message.errors ?? []).join('; ') || message.result || 'claude gave no details';
	switch (message.subtype) {
		case 'error_max_turns':
			return `claude stopped at its limit of turns: ${details}`;
		case 'error_max_budget_usd':
			return `claude stopped when the task's budget was spent: ${details}`;
		case 'error_during_execution':
			return `claude stopped with an error during the turn: ${details}`;
		case undefined:
		default:
			return `claude's turn failed: ${details}`;
	}
}
