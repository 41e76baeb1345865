import {FleetError, InvalidInputError, messageOf} from '../domain/errors.js';
import {isTerminal, PRIORITIES, transition, type CancelRequest, type Priority, type Task} from '../domain/task.js';
import type {EventBus} from '../events.js';
import type {Clock} from '../ports/clock.js';
import type {CommandOutcome, HostQuestion, RemoteAnswer, RemoteCommand, RemoteControl} from '../ports/remote-control.js';
import type {PermissionDecision} from '../ports/worker-driver.js';
import type {AnswerOptions, OpenQuestion} from './question-desk.js';

/** The fleet's own changes, as they are made on the host that holds the task. */
export type LocalControl = {
	cancel(id: string, how: CancelRequest): Promise<Task>;
	reprioritize(id: string, priority: Priority): Task;
	addDependencies(id: string, dependsOn: string[]): Task;
	respond(id: string, decision: PermissionDecision, options: AnswerOptions): Task;
	respondMatching(rule: string, decision: PermissionDecision, options: AnswerOptions): Task[];
};

export type RemoteCommandsPorts = {
	remote: RemoteControl | undefined;
	hostId: string | undefined;
	clock: Clock;
	bus: EventBus;
	local: LocalControl;
	/** Whether this host holds the (unfinished) task. */
	holds(id: string): boolean;
	/** The host holding the task as this host last heard; undefined: none. */
	holder(id: string): string | undefined;
	get(id: string): Task;
	/** The task, if this host knows it. */
	find(id: string): Task | undefined;
	/** This host's waiting questions. */
	waiting(): OpenQuestion[];
	/** The end of a task's log (at least CONTEXT_LINES lines): its last lines go with its question to the other hosts. */
	logTail(id: string): string;
	/** A line in a task's log. */
	note(id: string, text: string): void;
	/** New dependencies of a queued task, checked (known tasks, no cycle); throws InvalidInputError. */
	checkDependencies(task: Task, dependsOn: string[]): string[];
};

/** Lines of a worker's output that go with its question to the other hosts (as many as a host's own inbox shows). */
export const CONTEXT_LINES = 8;

/** A command that goes to another host at most this many times (the task can change hands while it travels). */
const MAX_HOPS = 3;

/**
 * Changes to any task of a shared fleet from any host (docs/research/multi-host-store.md §4.7): a task held here is
 * changed as always; one another host holds gets a command that host carries out through its own Fleet API; a queued
 * task nobody holds is changed directly in the shared store (unless a host claims it meanwhile: then a command). On one
 * host (no RemoteControl) every change is local.
 */
export class RemoteCommands {
	readonly #ports: RemoteCommandsPorts;
	#published = '';
	#unsubscribe: (() => void) | undefined;

	constructor(ports: RemoteCommandsPorts) {
		this.#ports = ports;
	}

	/** Whether a change to this task goes elsewhere (another host, or the shared store) rather than through this host. */
	routes(id: string): boolean {
		return this.#ports.remote !== undefined && !this.#ports.holds(id);
	}

	/** Serves the commands sent to this host and keeps its waiting questions published. Call once the fleet recovered its tasks. */
	start(): void {
		const {remote, bus} = this.#ports;
		if (!remote) return;
		remote.serve(command => this.#carryOut(command));
		const publish = () => this.#publish();
		const offs = [bus.on('worker:state', publish), bus.on('task:updated', publish)];
		this.#unsubscribe = () => offs.forEach(off => off());
		// Questions a previous run of this host left published are gone with its workers.
		this.#publish(true);
	}

	stop(): void {
		this.#unsubscribe?.();
		this.#unsubscribe = undefined;
	}

	/** Carries out a change to one task wherever it must be made; resolves with the task as it was left. */
	async run(command: Exclude<RemoteCommand, {kind: 'answer-matching'}>): Promise<Task> {
		const {remote, hostId} = this.#ports;
		if (remote && hostId !== undefined) command = {...command, from: hostId, ...(command.kind === 'cancel' ? {by: `${command.by} (from host ${hostId})`} : {})};
		let hint: string | undefined;
		for (let hop = 0; ; hop++) {
			const task = this.#ports.get(command.taskId);
			if (!remote || this.#ports.holds(task.id) || isTerminal(task.status)) return this.#local(command);
			let holder = hint ?? this.#ports.holder(task.id);
			if ((holder === undefined || holder === hostId) && task.status === 'queued' && command.kind !== 'answer') {
				const changed = this.#changedFree(task, command);
				if (changed === task) return task;
				const moved = await remote.changeFree(changed);
				if (!moved) return changed;
				holder = moved.heldBy;
			}
			if (holder === undefined || holder === hostId) return this.#local(command);
			if (hop >= MAX_HOPS) throw new FleetError(`Task ${task.id} kept changing hands while the change travelled; try again.`);
			const outcome = await remote.send(holder, command);
			if (outcome.ok) return outcome.tasks[0] ?? this.#ports.get(task.id);
			if (!outcome.notHeld) throw new InvalidInputError(outcome.message);
			hint = outcome.heldBy;
		}
	}

	/** Answers alike every waiting question `rule` covers, here and on every other host that has one. */
	async respondMatching(rule: string, decision: PermissionDecision, options: AnswerOptions): Promise<Task[]> {
		const answered = this.#ports.local.respondMatching(rule, decision, options);
		const remote = this.#ports.remote;
		if (!remote) return answered;
		const hosts = [...new Set(this.#askedElsewhere().map(question => question.host))];
		const answer: RemoteAnswer = {decision, ...(options.always ? {always: options.always} : {})};
		const outcomes = await Promise.allSettled(hosts.map(host => remote.send(host, {kind: 'answer-matching', rule, ...answer})));
		const failures: string[] = [];
		outcomes.forEach((outcome, index) => {
			if (outcome.status === 'rejected') failures.push(`host ${hosts[index]}: ${messageOf(outcome.reason)}`);
			else if (!outcome.value.ok) failures.push(`host ${hosts[index]}: ${outcome.value.message}`);
			else answered.push(...outcome.value.tasks);
		});
		if (failures.length > 0) {
			const done = answered.length > 0 ? `Answered ${answered.map(task => task.id).join(', ')}, but not everywhere: ` : '';
			throw new FleetError(`${done}${failures.join('; ')}`);
		}
		return answered;
	}

	/** Every question waiting on any host, oldest first; with several hosts each names its host. */
	questions(): OpenQuestion[] {
		const {remote, hostId} = this.#ports;
		const own = this.#ports.waiting();
		if (!remote) return own;
		const here: OpenQuestion[] = own.map(question => ({...question, ...(hostId ? {host: hostId} : {})}));
		return [...here, ...this.#askedElsewhere()].sort((a, b) => a.askedAt - b.askedAt);
	}

	/**
	 * The other hosts' questions, but for those whose tasks moved on. A host that died keeps its questions published
	 * until it starts again, but once its lease runs out its tasks are queued again or taken over by another host, and
	 * their questions are moot. A question this host cannot tell about yet (a task it has not heard of, or whose holder
	 * it does not know) is listed: the inbox errs on the side of asking.
	 */
	#askedElsewhere(): HostQuestion[] {
		const {remote, hostId} = this.#ports;
		return (remote?.questionsElsewhere() ?? []).filter(question => question.host !== hostId && !this.#movedOn(question));
	}

	#movedOn(question: HostQuestion): boolean {
		const holder = this.#ports.holder(question.taskId);
		if (holder !== undefined && holder !== question.host) return true;
		const status = this.#ports.find(question.taskId)?.status;
		return status !== undefined && (status === 'queued' || isTerminal(status));
	}

	async #carryOut(command: RemoteCommand): Promise<CommandOutcome> {
		try {
			const {local} = this.#ports;
			const options = (answer: RemoteAnswer): AnswerOptions => ({by: 'person', ...(answer.always ? {always: answer.always} : {})});
			if (command.kind === 'answer-matching') return {ok: true, tasks: local.respondMatching(command.rule, command.decision, options(command))};
			if (!this.#ports.holds(command.taskId)) {
				const heldBy = this.#ports.holder(command.taskId);
				const elsewhere = heldBy !== undefined && heldBy !== this.#ports.hostId;
				return {
					ok: false,
					notHeld: true,
					message: `Task ${command.taskId} is no longer held by host ${this.#ports.hostId ?? '?'}${elsewhere ? `; host ${heldBy} holds it` : ''}.`,
					...(elsewhere ? {heldBy} : {}),
				};
			}
			// The log on this host says who asked, from where, before what follows from it (a cancelled worker's end).
			if (command.from !== undefined) this.#ports.note(command.taskId, `[ccfleet] ${asked(command)}\n`);
			return {ok: true, tasks: [await this.#local(command)]};
		} catch (error) {
			return {ok: false, message: messageOf(error)};
		}
	}

	#local(command: Exclude<RemoteCommand, {kind: 'answer-matching'}>): Promise<Task> | Task {
		const {local} = this.#ports;
		switch (command.kind) {
			case 'cancel':
				return local.cancel(command.taskId, {by: command.by, ...(command.reason === undefined ? {} : {reason: command.reason})});
			case 'reprioritise':
				return local.reprioritize(command.taskId, command.priority);
			case 'depend':
				return local.addDependencies(command.taskId, command.dependsOn);
			case 'answer':
				return local.respond(command.taskId, command.decision, {by: 'person', ...(command.always ? {always: command.always} : {})});
		}
	}

	/** The queued task nobody holds as the command leaves it (the same task when nothing changes); throws InvalidInputError for a bad change. */
	#changedFree(task: Task, command: Exclude<RemoteCommand, {kind: 'answer-matching' | 'answer'}>): Task {
		const now = this.#ports.clock.now();
		switch (command.kind) {
			case 'cancel': {
				const next = transition(task, 'cancelled', now, {cancelledBy: command.by, failureReason: command.reason?.trim() || 'no reason given'});
				delete next.resumePending;
				return next;
			}
			case 'reprioritise':
				if (!PRIORITIES.includes(command.priority))
					throw new InvalidInputError(`Unknown priority ${JSON.stringify(command.priority)}; use one of ${PRIORITIES.join(', ')}.`);
				return task.priority === command.priority ? task : {...task, priority: command.priority, updatedAt: now};
			case 'depend':
				return {...task, dependsOn: this.#ports.checkDependencies(task, command.dependsOn), updatedAt: now};
		}
	}

	/** Publishes this host's waiting questions when they changed (or always, with `force`). */
	#publish(force = false): void {
		const remote = this.#ports.remote;
		const hostId = this.#ports.hostId;
		if (!remote || hostId === undefined) return;
		const waiting = this.#ports.waiting();
		const key = waiting.map(question => `${question.taskId}@${question.askedAt}`).join(',');
		if (!force && key === this.#published) return;
		this.#published = key;
		remote.publishQuestions(
			waiting.map(({taskId, question, askedAt}): HostQuestion => ({host: hostId, taskId, question, askedAt, context: lastLines(this.#ports.logTail(taskId))})),
		);
	}
}

/** A command carried out for another host, as the task's log tells it. */
function asked(command: Exclude<RemoteCommand, {kind: 'answer-matching'}>): string {
	switch (command.kind) {
		case 'cancel':
			return `cancelled by ${command.by}: ${command.reason?.trim() || 'no reason given'}`;
		case 'reprioritise':
			return `moved to ${command.priority} from host ${command.from}`;
		case 'depend':
			return `made to wait also for ${command.dependsOn.join(', ')} from host ${command.from}`;
		case 'answer':
			return `answered from host ${command.from}:`;
	}
}

function lastLines(text: string): string[] {
	return text
		.split('\n')
		.filter(line => line.trim() !== '')
		.slice(-CONTEXT_LINES);
}
