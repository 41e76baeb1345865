import type {AskOptions} from '../domain/ask-options.js';
import {formatDuration} from '../domain/duration.js';
import {withAnswer, type AnsweredQuestion, type Answerer} from '../domain/permission-answer.js';
import {InvalidInputError} from '../domain/errors.js';
import {decide, emptyRuleSet, PolicyFileError, ruleCovers, rulesToAllow, type DecidingRule, type PolicyLevel} from '../domain/permission-policy.js';
import {parseRule} from '../domain/permission-rule.js';
import type {Task} from '../domain/task.js';
import type {EventBus} from '../events.js';
import type {Clock} from '../ports/clock.js';
import type {PermissionPolicies} from '../ports/permission-policies.js';
import type {PermissionDecision, PermissionQuestion} from '../ports/worker-driver.js';
import type {TaskLedger} from './task-ledger.js';

/**
 * A question waiting for a person, as the inbox lists it. With several hosts: the host whose worker asks, and for
 * another host's question the last lines its worker wrote (its log is on that host).
 */
export type OpenQuestion = {taskId: string; question: PermissionQuestion; askedAt: number; host?: string; context?: string[]};

export type DeskPorts = {
	ledger: TaskLedger;
	bus: EventBus;
	clock: Clock;
	policies: PermissionPolicies | undefined;
	options: () => AskOptions;
	/** Answers the worker of a task; false when it no longer waits. */
	answer(taskId: string, decision: PermissionDecision): boolean;
	/** The question a task's worker waits on now. */
	question(taskId: string): PermissionQuestion | undefined;
	/** A line in the task's log. */
	note(taskId: string, text: string): void;
	report(message: string, cause: unknown): void;
};

/** How a person (or the main session) answers: `always` keeps a rule for next time, for the task or its project. */
export type AnswerOptions = {always?: 'task' | 'project'; by?: Answerer};

type Waiting = OpenQuestion & {cancelTimers: () => void};

/**
 * The fleet's permission desk: every question a worker asks comes here first. Rules answer the routine ones (the
 * task's own, its project's, the user's); the rest wait in one inbox, oldest first, until a person, the main session,
 * or the ask timeout answers them. Every answer goes into the task's log and history with who or what gave it.
 */
export class QuestionDesk {
	readonly #ports: DeskPorts;
	readonly #waiting = new Map<string, Waiting>();

	constructor(ports: DeskPorts) {
		this.#ports = ports;
	}

	/** The rules' answer to a question, if they answer it; undefined: a person must. */
	decide(task: Task, question: PermissionQuestion): {decision: PermissionDecision; rules: DecidingRule[]} | undefined {
		let levels: PolicyLevel[];
		try {
			levels = [taskLevel(task), ...(this.#ports.policies?.levelsFor(task.cwd) ?? [])];
		} catch (error) {
			// A broken policy file answers nothing: the question goes to a person, and the reason is said where it is seen.
			if (!(error instanceof PolicyFileError)) throw error;
			this.#ports.note(task.id, `[ccfleet] permission rules not used: ${error.message}\n`);
			this.#ports.report(`A permission policy file cannot be used: ${error.message}`, error);
			return undefined;
		}
		const verdict = decide(levels, question, {cwd: task.cwd, home: this.#ports.policies?.home ?? '/'});
		if (verdict.answer === 'ask') return undefined;
		const decision: PermissionDecision = verdict.answer === 'allow' ? {behavior: 'allow'} : {behavior: 'deny', message: verdict.message!};
		return {decision, rules: verdict.rules};
	}

	/** A question no rule answered: it waits in the inbox, is announced after a while, and times out if so configured. */
	open(taskId: string, question: PermissionQuestion): void {
		this.settle(taskId);
		const {notifyAfterMs, timeoutMs, timeoutAnswer} = this.#ports.options();
		const askedAt = this.#ports.clock.now();
		const cancels: Array<() => void> = [];
		if (notifyAfterMs > 0) {
			cancels.push(
				this.#ports.clock.setTimeout(
					() => this.#ports.bus.emit('question:unanswered', {taskId, question, waitingMs: this.#ports.clock.now() - askedAt}),
					notifyAfterMs,
				),
			);
		}
		if (timeoutMs !== undefined && timeoutAnswer === 'deny') {
			cancels.push(this.#ports.clock.setTimeout(() => this.#timeOut(taskId, timeoutMs), timeoutMs));
		}
		this.#waiting.set(taskId, {taskId, question, askedAt, cancelTimers: () => cancels.forEach(cancel => cancel())});
	}

	/** The task's question was answered, or its worker moved on or ended. */
	settle(taskId: string): void {
		this.#waiting.get(taskId)?.cancelTimers();
		this.#waiting.delete(taskId);
	}

	/** Every question waiting for a person, oldest first. */
	waiting(): OpenQuestion[] {
		return [...this.#waiting.values()].map(({taskId, question, askedAt}) => ({taskId, question, askedAt})).sort((a, b) => a.askedAt - b.askedAt);
	}

	/** A person's answer to the question `task` waits on. Throws InvalidInputError, answering nothing, when it cannot be given. */
	respond(task: Task, decision: PermissionDecision, {always, by = 'person'}: AnswerOptions = {}): void {
		const question = this.#ports.question(task.id);
		if (!question) throw new InvalidInputError(`Task ${task.id} is not waiting for a permission answer (it is ${task.status}). Check \`ccfleet status ${task.id}\`.`);
		if (always && decision.behavior !== 'allow') throw new InvalidInputError('"always" goes with an approval: it adds a rule that allows the same call next time.');
		if (always === 'project' && !this.#ports.policies) throw new InvalidInputError('This fleet keeps no policy file for project rules; use always "task".');
		// Made before answering, so that a call no rule can allow is refused while its question is still open.
		const rules = always ? rulesToAllow(question) : [];
		if (!this.#ports.answer(task.id, decision)) throw new InvalidInputError(`Task ${task.id} is no longer waiting for a permission answer.`);
		this.settle(task.id);
		this.record(task.id, question, decision, by);
		if (always === 'task') this.#ports.ledger.update(task.id, {allow: [...new Set([...(this.#ports.ledger.active(task.id)?.allow ?? []), ...rules])]});
		if (always === 'project') {
			const file = this.#ports.policies!.allowForProject(task.cwd, rules);
			this.#ports.note(task.id, `[ccfleet] always allowed for ${task.cwd}: ${rules.join(', ')} (kept in ${file})\n`);
		}
	}

	/** Answers alike every waiting question `ruleText` covers as a whole, oldest first; returns their tasks' ids. */
	respondMatching(ruleText: string, decision: PermissionDecision, options: AnswerOptions = {}): string[] {
		const rule = parseRule(ruleText);
		const home = this.#ports.policies?.home ?? '/';
		const answered: string[] = [];
		for (const {taskId, question} of this.waiting()) {
			const task = this.#ports.ledger.active(taskId);
			if (!task || !ruleCovers(rule, question, {cwd: task.cwd, home})) continue;
			this.respond(task, decision, options);
			answered.push(taskId);
		}
		return answered;
	}

	/** Writes an answer into the task's log and history. */
	record(taskId: string, question: PermissionQuestion, decision: PermissionDecision, by: Answerer, rules: DecidingRule[] = []): void {
		const task = this.#ports.ledger.active(taskId);
		if (!task) return;
		const answer = decision.behavior;
		const entry: AnsweredQuestion = {
			at: this.#ports.clock.now(),
			toolName: question.toolName,
			summary: question.question,
			answer,
			by,
			...(rules[0] ? {rule: {...rules[0], text: rules.map(rule => rule.text).join(', ')}} : {}),
			...(decision.behavior === 'deny' ? {message: decision.message} : {}),
		};
		const how =
			by === 'rule'
				? `by the ${rules[0]?.level ?? ''} rule ${entry.rule?.text ?? ''} (${rules[0]?.source ?? ''})`
				: by === 'timeout'
					? 'as nobody answered in time'
					: 'by a person';
		// "Allow Bash(npm test)?" is claude's question; the log says what was done with the call.
		const call = question.question.replace(/^Allow\s+/, '').replace(/\?$/, '');
		this.#ports.note(taskId, `[ccfleet] ${answer === 'allow' ? 'allowed' : 'denied'} ${call} ${how}\n`);
		this.#ports.ledger.update(taskId, {answers: withAnswer(task.answers, entry)});
	}

	#timeOut(taskId: string, timeoutMs: number): void {
		const waiting = this.#waiting.get(taskId);
		if (!waiting) return;
		const decision: PermissionDecision = {
			behavior: 'deny',
			message: `Nobody answered this within ${formatDuration(timeoutMs)} (CCFLEET_ASK_TIMEOUT), so it was denied. Take another way, or finish and report what you needed.`,
		};
		this.settle(taskId);
		if (this.#ports.answer(taskId, decision)) this.record(taskId, waiting.question, decision, 'timeout');
	}
}

/** The task's own rules: the most specific level. */
function taskLevel(task: Task): PolicyLevel {
	const rules = emptyRuleSet();
	rules.allow = (task.allow ?? []).map(text => ({rule: parseRule(text)}));
	rules.deny = (task.deny ?? []).map(text => ({rule: parseRule(text)}));
	return {level: 'task', source: `task ${task.id}`, baseDir: task.cwd, rules};
}
