import type {WorkerProcess} from '../../source/core/domain/task.js';
import type {PermissionDecision, PermissionQuestion, WorkerDriver, WorkerExit, WorkerHandle, WorkerListener, WorkerSpec} from '../../source/core/ports/worker-driver.js';
import {defaultMockReply, defaultToolCommand, toolDoneReply, toolRefusedReply} from '../fixtures/mock-anthropic-api.js';

/** One turn of a fake conversation, as the fake model sees it. */
type FakeMessage = {role: 'user' | 'assistant'; text: string; toolResult?: {isError: boolean; content: string}};

/** One worker the fake driver started; the test plays claude through it, or autoplay does. */
export class FakeWorker {
	stopReasons: string[] = [];
	answers: PermissionDecision[] = [];
	written: string[] = [];
	exited = false;
	/** The question the worker waits on, as last reported through `listener`. */
	question: PermissionQuestion | undefined;
	/** The driver's listener, passed through; it notes the question a worker reports so answer() can be honest. */
	readonly listener: WorkerListener;
	/** Run by answer() once a question was answered (autoplay carries the conversation on). */
	onAnswer: ((decision: PermissionDecision) => void) | undefined;
	#pendingTimer: NodeJS.Timeout | undefined;

	constructor(
		readonly spec: WorkerSpec,
		listener: WorkerListener,
		readonly process: WorkerProcess,
	) {
		this.listener = {
			onSpawned: process => listener.onSpawned(process),
			onState: (state, question) => {
				this.question = state === 'needs_input' ? question : undefined;
				listener.onState(state, question);
			},
			onOutput: text => listener.onOutput(text),
			onUsage: usage => listener.onUsage(usage),
			onUsageLimit: report => listener.onUsageLimit?.(report),
			onRetrying: retry => listener.onRetrying?.(retry),
			onExit: exit => listener.onExit(exit),
		};
	}

	finish(result: string): void {
		this.listener.onState('idle');
		this.exit({exitCode: 0, signal: null, result});
	}

	exit(exit: WorkerExit): void {
		if (this.exited) return;
		this.exited = true;
		this.question = undefined;
		clearTimeout(this.#pendingTimer);
		this.listener.onExit(exit);
	}

	/** Runs `step` later, as a process would, unless the worker ends first. */
	later(step: () => void, ms = 0): void {
		this.#pendingTimer = setTimeout(() => {
			if (!this.exited) step();
		}, ms);
	}

	answer(decision: PermissionDecision): boolean {
		if (this.exited || !this.question) return false;
		this.answers.push(decision);
		this.listener.onState('busy');
		this.onAnswer?.(decision);
		return true;
	}
}

export type FakeWorkerDriverOptions = {
	/**
	 * Each worker plays itself like claude on the mock Anthropic API (source/demo/mock-anthropic-api.ts), scripted by
	 * the same directives in its prompt: `[[reply:TEXT]]`, `[[tool:bash:CMD]]` (asks permission, then says whether
	 * the tool finished or was refused) and `[[slow:MS]]`. Conversations are kept per session, so `resume` continues
	 * one and canResume knows it. Without autoplay, nothing happens until the test says so.
	 */
	autoplay?: boolean;
};

/** A WorkerDriver under the test's control: nothing runs until the test says so, unless it plays by itself. */
export class FakeWorkerDriver implements WorkerDriver {
	readonly started: FakeWorker[] = [];
	readonly resumable = new Set<string>();
	/** With autoplay: every request the fake model received, as the JSON of the conversation so far. */
	readonly requests: string[] = [];
	readonly #conversations = new Map<string, FakeMessage[]>();
	readonly #autoplay: boolean;
	#nextPid = 1000;
	/** What stop() does; by default the worker dies of SIGTERM at once. */
	onStop: (worker: FakeWorker, reason: string) => void = worker => worker.exit({exitCode: null, signal: 'SIGTERM'});
	failStartWith?: Error;

	constructor(options: FakeWorkerDriverOptions = {}) {
		this.#autoplay = options.autoplay ?? false;
	}

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		if (this.failStartWith) throw this.failStartWith;
		const worker = new FakeWorker(spec, listener, {pid: this.#nextPid++, startTime: 42});
		this.started.push(worker);
		worker.listener.onSpawned(worker.process);
		worker.listener.onState('busy');
		if (this.#autoplay) worker.later(() => this.#play(worker));
		return {
			stop: async reason => {
				worker.stopReasons.push(reason);
				this.onStop(worker, reason);
			},
			screen: () => [`screen of ${spec.taskId}`],
			answer: decision => worker.answer(decision),
			write: data => {
				worker.written.push(data);
			},
		};
	}

	canResume(spec: {sessionId: string}): boolean {
		return this.resumable.has(spec.sessionId) || this.#conversations.has(spec.sessionId);
	}

	worker(taskId: string): FakeWorker {
		const worker = this.started.findLast(w => w.spec.taskId === taskId);
		if (!worker) throw new Error(`no worker was started for ${taskId}`);
		return worker;
	}

	/** True while the fake process with this pid runs. */
	isRunning(process: WorkerProcess): boolean {
		return this.started.some(worker => worker.process.pid === process.pid && !worker.exited);
	}

	#play(worker: FakeWorker): void {
		const {spec} = worker;
		const earlier = this.#conversations.get(spec.sessionId);
		// claude's own refusals, in its words.
		if (spec.resume && !earlier) {
			worker.exit({exitCode: 1, signal: null, error: `No conversation found with session ID: ${spec.sessionId}`});
			return;
		}
		if (!spec.resume && earlier) {
			worker.exit({exitCode: 1, signal: null, error: `Session ID ${spec.sessionId} is already in use.`});
			return;
		}
		const conversation = earlier ?? [];
		// claude writes the transcript as soon as the prompt is taken, so the session can be resumed from then on.
		this.#conversations.set(spec.sessionId, conversation);
		conversation.push({role: 'user', text: spec.prompt});
		worker.listener.onOutput(`› ${spec.prompt}\n`);
		this.#respond(worker, conversation);
	}

	/** One request to the fake model and what the worker does with its reply. */
	#respond(worker: FakeWorker, conversation: FakeMessage[]): void {
		this.requests.push(JSON.stringify(conversation));
		const prompt = conversation.findLast(message => message.role === 'user' && message.text.includes('[['));
		const text = prompt?.text ?? '';
		const tool = /\[\[tool:bash(?::([\s\S]*?))?\]\]/.exec(text);
		const slow = /\[\[slow:(\d+)\]\]/.exec(text);
		const last = conversation.at(-1)!;
		if (tool && !last.toolResult) {
			this.#askPermission(worker, conversation, tool[1] ?? defaultToolCommand);
		} else if (last.toolResult) {
			this.#reply(worker, conversation, last.toolResult.isError ? toolRefusedReply : toolDoneReply);
		} else {
			const reply = [...text.matchAll(/\[\[reply:([\s\S]*?)\]\]/g)].at(-1)?.[1] ?? defaultMockReply;
			worker.later(() => this.#reply(worker, conversation, reply), slow ? Number(slow[1]) : 0);
		}
	}

	#askPermission(worker: FakeWorker, conversation: FakeMessage[], command: string): void {
		conversation.push({role: 'assistant', text: `I will run a command: ${command}`});
		const question = {toolName: 'Bash', toolInput: {command, description: 'Run a command'}, question: `Allow Bash(${command})?`};
		worker.listener.onOutput(`? permission needed: Bash(${command})\n`);
		worker.onAnswer = decision => {
			worker.onAnswer = undefined;
			const toolResult = decision.behavior === 'allow' ? {isError: false, content: `ran: ${command}`} : {isError: true, content: decision.message};
			conversation.push({role: 'user', text: '', toolResult});
			worker.listener.onOutput(`  ⎿ ${toolResult.content}\n`);
			worker.later(() => this.#respond(worker, conversation));
		};
		worker.listener.onState('needs_input', question);
	}

	#reply(worker: FakeWorker, conversation: FakeMessage[], text: string): void {
		conversation.push({role: 'assistant', text});
		worker.listener.onOutput(`${text}\n`);
		const tokens = {input: JSON.stringify(conversation).length, output: text.length, cacheRead: 0, cacheCreation: 0};
		worker.listener.onUsage({costUsd: (tokens.input * 3 + tokens.output * 15) / 1_000_000, tokens});
		worker.finish(text);
	}
}
