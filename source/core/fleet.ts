// The core's public API: the Fleet, of which every face (dashboard, MCP, HTTP, CLI, daemon) is a client. Each method
// hands its work to a module under fleet/: assembly.ts builds the modules and wires them to one another, task-intake.ts
// makes new tasks (submit, retry, resume), task-changes.ts changes a task this host holds (priority, dependencies,
// cancel), and the rest is read from the ledger, the queue, the supervisor and governance. Four faces of their own:
// fleet.workflows (workflows.ts), fleet.worktrees (worktree-housekeeping.ts), fleet.hosts (fleet-hosts.ts: the hosts of
// a shared fleet) and fleet.anywhere (anywhere.ts: changes to a task on whichever host holds it). Longer than ~300
// lines for a reason: some forty one-line methods, each with the documentation its callers in every face read.
import {InvalidInputError} from './domain/errors.js';
import type {FleetSettings} from './domain/fleet-settings.js';
import {formatDuration} from './domain/duration.js';
import {attachElsewhere} from './domain/other-host.js';
import {builtInRole} from './domain/roles.js';
import {isTerminal, type CancelRequest, type Priority, type Task, type TaskStatus} from './domain/task.js';
import type {TaskSpec} from './domain/task-spec.js';
import type {FleetEventName, FleetEvents} from './events.js';
import type {SystemSample} from './ports/system-monitor.js';
import type {OutputRead, OutputReadOptions, TaskFilter} from './ports/task-store.js';
import type {PermissionDecision} from './ports/worker-driver.js';
import {Anywhere} from './fleet/anywhere.js';
import {assembleFleet, type FleetParts, type FleetPhase} from './fleet/assembly.js';
import {FleetHosts} from './fleet/fleet-hosts.js';
import type {AdmissionState, Governance} from './fleet/governance.js';
import type {FleetOptions, FleetPorts} from './fleet/options.js';
import type {AnswerOptions, OpenQuestion} from './fleet/question-desk.js';
import {recoverUnfinished, type RecoveryReport} from './fleet/recovery.js';
import type {LocalControl} from './fleet/remote-commands.js';
import {TaskChanges} from './fleet/task-changes.js';
import {TaskIntake} from './fleet/task-intake.js';
import type {UsageLimitView} from './fleet/usage-limit.js';
import type {Attachment, WorkerView} from './fleet/worker-supervisor.js';
import {Workflows} from './fleet/workflows.js';
import {Worktrees} from './fleet/worktree-housekeeping.js';

export {RESUME_PROMPT} from './fleet/worker-prompt.js';
export {DEFAULT_FLEET_OPTIONS, type FleetOptions, type FleetPorts} from './fleet/options.js';
export type {RecoveryReport} from './fleet/recovery.js';
export type {WorkerView} from './fleet/worker-supervisor.js';
export type {AdmissionState} from './fleet/governance.js';

export type FleetCounts = Record<TaskStatus, number>;

/**
 * The one owner of the queue, the workers and recovery; every face (dashboard, MCP, CLI, daemon) is its client. A thin
 * facade: the ledger writes every change (store, memory, bus), the dependency gate holds tasks until their
 * dependencies complete, admission decides when the next one starts, the supervisor runs the workers, the exit policy
 * says what an exit means, and the finisher records ends (checkpoints, merges).
 */
export class Fleet {
	readonly #ports: FleetPorts;
	/** The modules that do the work, built and wired to one another by assembleFleet. */
	readonly #parts: FleetParts;
	/** Two parts by name: start(), stop() and the knobs' methods speak to governance, and most changes end in a pump. */
	readonly #governance: Governance;
	readonly #pump: () => void;
	readonly #intake: TaskIntake;
	readonly #changes: TaskChanges;
	#phase: FleetPhase = 'new';
	/** Workflows: the catalog of roles and templates, starting one, its tasks, cancelling it. */
	readonly workflows: Workflows;
	/** Isolated tasks' worktrees and branches: listing them, pruning finished tasks' leftovers. */
	readonly worktrees: Worktrees;
	/** The hosts of a shared fleet: this host's id, the lease, every host, which host holds a task. */
	readonly hosts: FleetHosts;
	/** reprioritize, addDependencies, respond and respondMatching for a task on any host of a shared fleet. */
	readonly anywhere: Anywhere;

	constructor(ports: FleetPorts, options: Partial<FleetOptions> = {}) {
		this.#ports = ports;
		// What another host carries here for a task this host holds.
		const local: LocalControl = {
			cancel: (id, how) => this.#changes.cancel(id, how),
			reprioritize: (id, priority) => this.reprioritize(id, priority),
			addDependencies: (id, dependsOn) => this.addDependencies(id, dependsOn),
			respond: (id, decision, options) => this.respond(id, decision, options),
			respondMatching: (rule, decision, options) => this.respondMatching(rule, decision, options),
		};
		const parts = assembleFleet(ports, options, {
			phase: () => this.#phase,
			local,
			get: id => this.get(id),
			roleInstructions: name => (ports.userDefinitions ? this.workflows.catalog().roles.find(role => role.name === name)?.prompt : builtInRole(name)?.prompt),
		});
		this.#parts = parts;
		this.#governance = parts.governance;
		this.#pump = parts.pump;
		this.#intake = new TaskIntake({
			...parts,
			ports,
			isStopping: () => this.#phase === 'stopping' || this.#phase === 'stopped',
			catalog: () => this.workflows.catalog(),
		});
		this.#changes = new TaskChanges(parts);
		this.hosts = new FleetHosts(ports.coordinator, ports.clock, parts.holds);
		this.anywhere = new Anywhere(this.#parts.control);
		this.worktrees = new Worktrees(() => this.#parts.ledger.list(), ports.workspaces);
		this.workflows = new Workflows({
			userDefinitions: ports.userDefinitions,
			newTaskId: () => ports.ids.taskId(),
			checkRepository: (spec, looks) => this.#intake.checkRepository(spec, looks),
			tasks: () => this.#parts.ledger.list(),
			hasWorker: id => this.#parts.supervisor.has(id),
			validate: (spec, planned) => this.#intake.validate(spec, planned),
			create: (spec, extra) => this.#intake.create(spec, extra),
			cancel: (id, how) => this.cancel(id, how),
		});
	}

	get options(): Readonly<FleetOptions> {
		return this.#parts.options;
	}

	on<E extends FleetEventName>(event: E, listener: (payload: FleetEvents[E]) => void): () => void {
		return this.#parts.bus.on(event, listener);
	}

	/**
	 * Accounts for every task left unfinished by an earlier run (resumed, restarted or failed with the reason), then
	 * starts taking work. Call once.
	 */
	async start(): Promise<RecoveryReport> {
		if (this.#phase !== 'new') throw new Error('Fleet.start() may be called once.');
		this.#phase = 'running';
		const replayed = this.#parts.ledger.replayJournal();
		if (replayed > 0) this.#parts.logger.warn('wrote the task changes the last run could not', {count: replayed});
		// With a shared store only the tasks this host holds are its to recover; the others' are theirs.
		const held = this.#ports.coordinator ? new Set(await this.#ports.coordinator.held()) : undefined;
		const report = await recoverUnfinished({
			ledger: this.#parts.ledger,
			system: this.#ports.system,
			clock: this.#ports.clock,
			logger: this.#parts.logger,
			maxAttempts: this.#parts.options.maxAttempts,
			canResume: task => this.#parts.canResume(task),
			enqueue: task => this.#parts.enqueueWhenReady(task),
			...(held ? {holds: (task: Task) => held.has(task.id)} : {}),
		});
		this.#parts.logger.info('fleet started', report);
		// Worktrees of tasks that ended while the core was stopping (waiting in the merge queue) are settled now; a
		// shared store lists other hosts' tasks too, whose worktrees are on their disks, so not there (not yet).
		if (this.#ports.workspaces && !this.#parts.shared) this.#parts.finisher.resettle(this.#parts.ledger.list({statuses: ['completed', 'failed', 'cancelled']}));
		this.#parts.parking.arm();
		// Admission decides by measurement from the first start on.
		await this.#governance.sample();
		// A usage limit another host met holds this one from its first start on, and whenever another host meets one.
		await this.#governance.readShared();
		this.#governance.watchShared(() => this.#pump());
		this.#parts.shared?.start();
		this.#parts.control.start();
		this.#pump();
		return report;
	}

	/** Validates and queues a new task. Throws InvalidInputError naming the bad field. */
	submit(input: TaskSpec): Task {
		return this.#intake.create(input, {});
	}

	/**
	 * submit, after asking the repository what an isolated task needs (git and a commit; for auto and pr the base
	 * branch, recorded as the checkout's current one when none is given; for pr a remote and a logged-in gh), so that
	 * a missing piece is said now rather than when the work is done.
	 */
	submitChecked(input: TaskSpec): Promise<Task> {
		return this.#intake.createChecked(input);
	}

	/**
	 * Makes a queued task also wait for `dependsOn`. Refused, naming the cycle, when that would make tasks wait on each
	 * other in a circle.
	 */
	addDependencies(id: string, dependsOn: string[]): Task {
		return this.#changes.addDependencies(id, dependsOn);
	}

	/** What a task waits on before it can run (empty when it is runnable or not queued). */
	waitingOn(id: string): string[] {
		return this.#parts.gate.waitingOn(id);
	}

	/** The task with that id; throws TaskNotFoundError. */
	get(id: string): Task {
		return this.#parts.ledger.get(id);
	}

	list(filter?: TaskFilter): Task[] {
		return this.#parts.ledger.list(filter);
	}

	/** 1-based place of a task in the running order; 0 when it is not ready to run (not queued, or waiting). */
	queuePosition(id: string): number {
		return this.#parts.queue.position(id);
	}

	/** Ids of queued tasks in the order they will run. */
	queueOrder(): string[] {
		return this.#parts.queue.toArray();
	}

	counts(): FleetCounts {
		return this.#parts.ledger.counts();
	}

	/** A live worker's state, question and last measured memory. */
	worker(id: string): WorkerView | undefined {
		return this.#parts.supervisor.view(id);
	}

	workers(): WorkerView[] {
		return this.#parts.supervisor.views();
	}

	/** The task's output log (capped), whole, its last lines, or what follows a byte offset. */
	logs(id: string, options?: OutputReadOptions): OutputRead {
		this.get(id);
		return this.#ports.output.read(id, options);
	}

	/** The live worker's screen, or an empty list when it has none. */
	screen(id: string): string[] {
		return this.#parts.supervisor.screen(id);
	}

	/** Runs a finished task again from scratch as a new task: every setting of it, a new conversation. */
	retry(id: string): Task {
		return this.#intake.retry(id);
	}

	/**
	 * Continues a finished task as a new task with every setting of it. When its Claude conversation is on disk the new
	 * task resumes it (`claude --resume`, in the same directory or worktree), told `additionalContext` (or just to
	 * continue); otherwise it starts afresh with a prompt that retells the task, its outcome and the additional context.
	 */
	resume(id: string, additionalContext?: string): Task {
		return this.#intake.resume(id, additionalContext);
	}

	/** Moves a queued task to another priority; it goes to the back of that priority's line. */
	reprioritize(id: string, priority: Priority): Task {
		return this.#changes.reprioritize(id, priority);
	}

	/** Types text into a live worker, as a person attached to it would (a line ends with Enter). */
	sendInput(id: string, text: string): Task {
		const task = this.get(id);
		if (!this.#parts.supervisor.write(id, text)) throw new InvalidInputError(`Task ${id} has no live worker (it is ${task.status}); there is nothing to type into.`);
		return task;
	}

	/** CPU and memory of the machine now. */
	sampleSystem(): Promise<SystemSample> {
		return this.#ports.system.sample();
	}

	/**
	 * Connects a person to a live worker's terminal: its output as it comes, their keys straight to it, at their
	 * terminal's size. Throws if the worker has no terminal (headless) or none runs.
	 */
	attach(id: string, onData: (data: string) => void, size: {columns: number; rows: number}): Attachment {
		// Another host's worker has its terminal there: say where, rather than that it has no worker.
		const task = this.get(id);
		const elsewhere = attachElsewhere({id, status: task.status, host: this.hosts.ofTask(id)}, this.hosts.ownId);
		if (elsewhere !== undefined) throw new InvalidInputError(elsewhere);
		return this.#parts.supervisor.attach(task, onData, size);
	}

	/**
	 * How admission stands: the ceiling, the CPU threshold and memory reserve in force, what a worker is expected to
	 * need, how many more the machine could carry now, and what holds the next start when one is held.
	 */
	admissionState(): AdmissionState {
		const nextMode = this.#parts.pumpSource.nextMode;
		// Shared: a held host claims nothing, so its own queue stays empty while the fleet's tasks wait; say why all the same.
		const isWaiting = this.#parts.queue.size > 0 || (this.#parts.shared !== undefined && this.#ports.store.countByStatus().queued > 0);
		const verdict = isWaiting ? this.#parts.admission.verdict(this.#parts.supervisor.size, nextMode) : undefined;
		return this.#governance.state(nextMode, verdict);
	}

	/** The knobs in force: the ceiling, the CPU threshold, the memory reserve, the recycling size, the daily budget. */
	settings(): FleetSettings {
		return this.#governance.settings();
	}

	/**
	 * Changes knobs while the fleet runs; `null` removes the ceiling or the budget. Throws InvalidInputError naming a
	 * setting out of range and what it accepts, and then changes nothing. A start held by the old values goes at once.
	 */
	configure(input: unknown): FleetSettings {
		const settings = this.#governance.configure(input);
		this.#parts.bus.emit('fleet:configured', {settings});
		this.#pump();
		return settings;
	}

	/** How the account's usage limit stands: reached (until its reset), just reset (ramping up), or near; else undefined. */
	usageLimit(): UsageLimitView | undefined {
		return this.#governance.usageLimit();
	}

	/** The fleet-wide pause on new workers after the API turned one away, while it lasts. */
	backoff(): {until: number; reason: string} | undefined {
		return this.#parts.admission.backoff();
	}

	/** Changes the store refused and the fleet keeps writing again (see TaskLedger), if any wait. */
	unwrittenChanges(): {count: number; since: number; reason: string} | undefined {
		return this.#parts.ledger.unwritten();
	}

	/** Resolves once every task change so far is durable (a store that writes behind); at once for one that does not. */
	async flush(): Promise<void> {
		await this.#ports.store.flush?.();
	}

	/** Reads back the named tasks a shared store keeps out of memory (old finished ones), before a face's synchronous use of them. */
	async preload(ids: readonly string[]): Promise<void> {
		if (ids.length > 0) await this.#ports.store.preload?.(ids);
	}

	/** Total estimated cost of every task so far, in USD. */
	totalCostUsd(): number {
		return this.#parts.ledger.totalCostUsd();
	}

	/**
	 * Answers the permission question a worker waits on, and writes the answer into its history. `always` also turns an
	 * approval into rules, for this task or for its project, so the same call passes without asking next time. Throws if
	 * the task waits on none.
	 */
	respond(id: string, decision: PermissionDecision, options: AnswerOptions = {}): Task {
		this.#parts.questions.respond(this.get(id), decision, options);
		return this.get(id);
	}

	/**
	 * Answers alike every waiting question that `rule` covers (in Claude Code's rule syntax, e.g. "Bash(npm test)"),
	 * oldest first; returns the tasks answered.
	 */
	respondMatching(rule: string, decision: PermissionDecision, options: AnswerOptions = {}): Task[] {
		return this.#parts.questions.respondMatching(rule, decision, options).map(id => this.get(id));
	}

	/** Every permission question waiting for a person or the main session, oldest first; with several hosts, every host's, each naming its host. */
	questions(): OpenQuestion[] {
		return this.#parts.control.questions();
	}

	/**
	 * Cancels a task: a queued one at once, a running one by ending its whole process tree. Resolves with the task in
	 * its final state. Cancelling a finished task is refused.
	 */
	async cancel(id: string, how: CancelRequest): Promise<Task> {
		// A task another host holds is cancelled there (or, queued and held by none, in the shared store).
		if (this.#parts.control.routes(id) && !isTerminal(this.get(id).status)) return this.#parts.control.run({kind: 'cancel', taskId: id, ...how});
		return this.#changes.cancel(id, how);
	}

	/**
	 * Stops taking work. Running workers are ended and their tasks put back in the queue to resume on the next start,
	 * so that stopping the core never loses a task. Waits (at most `stopDrainMs`) for the checkpoints and merges
	 * already under way; after it resolves the fleet writes nothing more, so its host may close the store. Idempotent.
	 */
	async stop(): Promise<void> {
		if (this.#phase === 'stopped' || this.#phase === 'stopping') return;
		this.#phase = 'stopping';
		this.#parts.admission.stop();
		this.#governance.stop();
		this.#parts.parking.stop();
		this.#parts.control.stop();
		await this.#parts.shared?.stop();
		await this.#parts.supervisor.stopAll({kind: 'shutdown'}, 'ccfleet is shutting down');
		const drained = await this.#parts.finisher.drain(this.#parts.options.stopDrainMs);
		if (!drained) {
			this.#parts.report(
				`${this.#parts.finisher.pending} checkpoint(s) or merge(s) did not finish within ${formatDuration(this.#parts.options.stopDrainMs)}; they are abandoned and will not be written.`,
				undefined,
			);
		}
		this.#parts.ledger.close();
		this.#phase = 'stopped';
	}

	/**
	 * A task changed on another host of a shared store: announced as this host's own changes are, and a dependency that
	 * ended there releases (or ends) the tasks here that waited on it.
	 */
	remoteChanged(task: Task, previous: TaskStatus | undefined, host?: string): void {
		const remote = host === undefined ? {} : {host};
		if (previous === undefined) this.#parts.bus.emit('task:created', {task, remote});
		else this.#parts.bus.emit('task:updated', {task, previous, remote});
		if (isTerminal(task.status) && this.#phase === 'running') {
			this.#parts.gate.release(task);
			this.#pump();
		}
	}
}

/** Builds the fleet over its ports: the one public entry of the core. */
export function createFleet(ports: FleetPorts, options: Partial<FleetOptions> = {}): Fleet {
	return new Fleet(ports, options);
}
