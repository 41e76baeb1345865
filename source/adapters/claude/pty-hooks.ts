import type {PermissionDecision, PermissionQuestion, UsageLimitReport, WorkerListener} from '../../core/ports/worker-driver.js';
import {formatHookOutput} from './hook-output.js';
import type {HookEvent, HookPayload} from './hook-server.js';
import {asText, permissionQuestion, toolActivity} from './tool-text.js';
import {readTranscriptUsage} from './transcript.js';
import {usageLimitFromText} from './usage-limit-text.js';
import type {TurnOutcome} from './worker-exit.js';

/** What the hooks tell the worker they belong to, and ask of it. */
type HookTurn = {
	/** claude works on the turn: a prompt was submitted or a tool is used. */
	onTurnStarted(): void;
	/** The turn is over, with claude's answer or an API error. */
	onTurnEnded(): void;
	/** The usage limit refused the turn; claude waits for the reset by itself and must be left running. */
	onUsageLimited(): void;
	/** The zone claude shows times in when its text names none. */
	timeZone(): string;
	hasExited(): boolean;
};

/** The Notification a TUI sends when the usage limit has reset and it continues the task by itself (2.1.330). */
const QUOTA_RESUMED = 'quota_auto_resume_fired';

/** A transcript is read whole: often enough for a live cost, rarely enough for a long one. */
const USAGE_EVERY_MS = 3_000;

type HeldPermission = {question: PermissionQuestion; answer: (decision: PermissionDecision | undefined) => void};

/**
 * Turns one TUI worker's hook calls into its state, output and outcome. A PermissionRequest call is held open
 * until answer() is called; its HTTP response is claude's decision.
 */
export class PtyHooks {
	readonly #listener: WorkerListener;
	readonly #outcome: TurnOutcome;
	readonly #turn: HookTurn;
	#held: HeldPermission | undefined;
	#usageReadAt = 0;

	constructor(listener: WorkerListener, outcome: TurnOutcome, turn: HookTurn) {
		this.#listener = listener;
		this.#outcome = outcome;
		this.#turn = turn;
	}

	readonly handle = async (event: HookEvent, payload: HookPayload, closed: AbortSignal): Promise<object> => {
		const text = formatHookOutput(event, payload);
		if (text) this.#listener.onOutput(text);
		if (event === 'PreToolUse') this.#listener.onActivity?.(toolActivity(payload.tool_name, payload.tool_input));
		if (event === 'PreToolUse' || event === 'PostToolUse') this.#reportUsageSoFar(payload);
		switch (event) {
			case 'UserPromptSubmit':
			case 'PreToolUse':
			case 'PostToolUse':
			case 'PostToolUseFailure':
			case 'PermissionDenied':
				this.#turn.onTurnStarted();
				this.release();
				this.#listener.onState('busy');
				return {};
			case 'PermissionRequest':
				return this.#hold(payload, closed);
			case 'Stop':
				this.release();
				this.#outcome.finished(typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '');
				this.#listener.onState('idle');
				this.#turn.onTurnEnded();
				return {};
			case 'StopFailure': {
				this.release();
				this.#outcome.failed(stopFailureReason(payload), String(payload.error));
				const limit = payload.error === 'rate_limit' ? this.#usageLimit(payload) : undefined;
				this.#listener.onState('idle');
				if (limit) {
					this.#outcome.metUsageLimit(limit);
					this.#listener.onUsageLimit?.(limit);
					this.#turn.onUsageLimited();
				} else {
					this.#turn.onTurnEnded();
				}
				return {};
			}
			case 'Notification':
				if (payload.notification_type === QUOTA_RESUMED) {
					const lifted: UsageLimitReport = {status: 'allowed'};
					this.#outcome.metUsageLimit(lifted);
					this.#listener.onUsageLimit?.(lifted);
				}
				return {};
			case 'SessionStart':
			case 'SessionEnd':
				return {};
		}
	};

	/** Cost and tokens while the turn runs, from the transcript the hook names; read at most every USAGE_EVERY_MS. */
	#reportUsageSoFar(payload: HookPayload): void {
		const now = Date.now();
		if (typeof payload.transcript_path !== 'string' || now - this.#usageReadAt < USAGE_EVERY_MS) return;
		this.#usageReadAt = now;
		const usage = readTranscriptUsage(payload.transcript_path);
		if (usage) this.#listener.onUsage(usage);
	}

	#usageLimit(payload: HookPayload): UsageLimitReport | undefined {
		const message = typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '';
		return usageLimitFromText(message, Date.now(), this.#turn.timeZone());
	}

	/** Answers the held permission question; false when none is held. */
	answer(decision: PermissionDecision): boolean {
		const held = this.#held;
		if (!held) return false;
		held.answer(decision);
		this.#listener.onOutput(`[ccfleet] permission ${decision.behavior === 'allow' ? 'granted' : 'denied'}: ${held.question.question}\n`);
		this.#listener.onState('busy');
		return true;
	}

	/**
	 * Lets a held call go without a decision, so claude's own dialog decides. A later hook means the question was
	 * settled elsewhere, and an ended worker waits on nothing.
	 */
	release(): void {
		this.#held?.answer(undefined);
	}

	#hold(payload: HookPayload, closed: AbortSignal): Promise<object> {
		this.release();
		const question = permissionQuestion(payload.tool_name, payload.tool_input);
		return new Promise(resolve => {
			const held: HeldPermission = {
				question,
				answer: decision => {
					if (this.#held === held) this.#held = undefined;
					resolve(decision ? {hookSpecificOutput: {hookEventName: 'PermissionRequest', decision}} : {});
				},
			};
			this.#held = held;
			// Answered on claude's own screen (someone attached), or claude gave up waiting: no longer ours to answer.
			closed.addEventListener('abort', () => {
				if (this.#held !== held) return;
				this.#held = undefined;
				if (!this.#turn.hasExited()) this.#listener.onState('busy');
			});
			// Held before it is announced: whoever hears of it (the fleet's permission rules) may answer it at once.
			this.#listener.onState('needs_input', question);
		});
	}
}

function stopFailureReason(payload: HookPayload): string {
	const kind = asText(payload.error, 'unknown');
	const details = typeof payload.error_details === 'string' ? payload.error_details : '';
	const message = typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '';
	return `claude stopped with an API error (${kind})${details || message ? `: ${details || message}` : ''}`;
}
