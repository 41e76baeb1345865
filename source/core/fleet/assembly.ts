// How the Fleet's modules are built and wired to one another: governance, the ledger, admission, parking, the
// finisher, the dependency gate, the question desk, remote commands, the worker supervisor, the task runner and (with
// several hosts) the shared queue, and the few operations they share (pump, note, report). core/fleet.ts holds the
// parts this returns and keeps the public API; nothing here is public.
import {messageOf} from '../domain/errors.js';
import type {Task} from '../domain/task.js';
import {formatDuration} from '../domain/duration.js';
import {EventBus} from '../events.js';
import {silentLogger, type Logger} from '../ports/logger.js';
import type {UsageLimitReport} from '../ports/worker-driver.js';
import {PriorityQueue} from '../queue.js';
import {Admission, type PumpSource} from './admission.js';
import {DependencyGate} from './dependency-gate.js';
import {Finisher} from './finisher.js';
import {Governance} from './governance.js';
import {DEFAULT_FLEET_OPTIONS, type FleetOptions, type FleetPorts} from './options.js';
import {Parking} from './parking.js';
import {QuestionDesk} from './question-desk.js';
import {CONTEXT_LINES, RemoteCommands, type LocalControl} from './remote-commands.js';
import {SharedQueue} from './shared-queue.js';
import {TaskLedger} from './task-ledger.js';
import {TaskRunner} from './task-runner.js';
import {workingDirectory} from './worker-prompt.js';
import {WorkerSupervisor} from './worker-supervisor.js';
import {needsWorktree, prepareWorktree} from './worktree-preparer.js';

export type FleetPhase = 'new' | 'running' | 'stopping' | 'stopped';

/** What the parts need of the Fleet itself. */
export type FleetHooks = {
	phase(): FleetPhase;
	/** The changes another host carries here, for a task this host holds. */
	local: LocalControl;
	/** The task with that id; throws TaskNotFoundError. */
	get(id: string): Task;
	/** What a role tells its worker (built in, or the user's). */
	roleInstructions(name: string): string | undefined;
};

export type FleetParts = {
	options: FleetOptions;
	logger: Logger;
	bus: EventBus;
	queue: PriorityQueue;
	ledger: TaskLedger;
	gate: DependencyGate;
	admission: Admission;
	supervisor: WorkerSupervisor;
	finisher: Finisher;
	runner: TaskRunner;
	pumpSource: PumpSource;
	governance: Governance;
	parking: Parking;
	questions: QuestionDesk;
	/** Changes to tasks other hosts hold, carried to them (several hosts); on one host every change is local. */
	control: RemoteCommands;
	/** Several hosts share the store: this host's claims on it. Undefined on one host. */
	shared: SharedQueue | undefined;
	/** Lets admission start what it may, refills this host's claims on shared work, and watches the machine while there is work. */
	pump: () => void;
	/** Writes to a task's log, with or without a live worker (ccfleet's own notes about it). */
	note: (id: string, text: string) => void;
	/** Logs an error and announces it ('fleet:error'). */
	report: (message: string, cause: unknown) => void;
	/** A task isolated in a worktree is queued once its worktree exists; any other at once. */
	enqueueWhenReady: (task: Task) => void;
	/** Whether the task's Claude conversation is on disk (under the directory its worker ran in). */
	canResume: (task: Task) => boolean;
	/** Whether this host holds the (unfinished) task. */
	holds: (id: string) => boolean;
};

/** Builds the Fleet's parts over its ports. `given` options override the defaults. */
export function assembleFleet(ports: FleetPorts, given: Partial<FleetOptions>, hooks: FleetHooks): FleetParts {
	const bus = new EventBus();
	const queue = new PriorityQueue();
	// The resource options are copied: configure() changes them in place, and the defaults must stay as they are.
	const options: FleetOptions = {...DEFAULT_FLEET_OPTIONS, ...given, resources: {...(given.resources ?? DEFAULT_FLEET_OPTIONS.resources)}};
	const logger = ports.logger ?? silentLogger;
	// The parts call one another through closures, so each is typed where it is made: inference would go in circles.
	const governance: Governance = new Governance({
		options,
		clock: ports.clock,
		store: ports.store,
		system: ports.system,
		logger,
		...(ports.sharedGovernance ? {shared: ports.sharedGovernance} : {}),
		onHeld: held => bus.emit('fleet:held', held),
	});
	// Spending changes only with a task; between changes the pump may ask as often as it likes.
	bus.on('task:updated', () => governance.noteTaskChanged());
	const admission: Admission = new Admission(ports.clock, options, [...governance.policies(), ...(ports.admissionPolicies ?? [])], ports.defer);
	const ledger: TaskLedger = new TaskLedger(ports.store, bus, ports.clock, report, ports.journal);
	const parking: Parking = new Parking({ledger, queue, usage: governance.usage, clock: ports.clock, onWoken: () => pump()});
	const finisher: Finisher = new Finisher({
		ledger,
		output: ports.output,
		clock: ports.clock,
		git: ports.git,
		workspaces: ports.workspaces,
		note,
		report,
		onSettled: task => {
			gate.release(task);
			pump();
		},
	});
	const gate: DependencyGate = new DependencyGate(ledger, queue, (task, status, failureReason) => finisher.finish(task, status, {failureReason}));
	const questions: QuestionDesk = new QuestionDesk({
		ledger,
		bus,
		clock: ports.clock,
		policies: ports.policies,
		options: () => options.ask,
		answer: (id, decision) => supervisor.answer(id, decision),
		question: id => supervisor.question(id),
		note,
		report,
	});
	// Whether this host holds the (unfinished) task: it runs it, or it is queued here.
	const holds = (id: string): boolean => ledger.active(id) !== undefined;
	const control: RemoteCommands = new RemoteCommands({
		remote: ports.remote,
		hostId: ports.coordinator?.hostId,
		clock: ports.clock,
		bus,
		local: hooks.local,
		holds,
		holder: id => ports.coordinator?.holder?.(id),
		get: id => hooks.get(id),
		find: id => ledger.find(id),
		waiting: () => questions.waiting(),
		logTail: id => ports.output.read(id, {tailLines: CONTEXT_LINES + 2}).text,
		note,
		checkDependencies: (task, dependsOn) => gate.checkNewDependencies(task, dependsOn),
	});
	const supervisor: WorkerSupervisor = new WorkerSupervisor({
		driver: ports.driver,
		clock: ports.clock,
		system: ports.system,
		ledger,
		bus,
		output: note,
		closeOutput: id => ports.output.closeTask(id),
		onExit: (task, exit, stopping) => {
			governance.noteEnded(task.id, exit.usageLimit);
			if (shared?.exited(task.id)) {
				pump();
				return;
			}
			runner.handleExit(task, exit, stopping);
			pump();
		},
		report,
		memorySampleMs: options.memorySampleMs,
		onMemorySampled: bytes => governance.gauge.noteMeasured(bytes),
		onUsageLimit,
		// While claude waits to retry, a new worker would only meet the same answer and deepen the limit.
		onRetrying: (taskId, {delayMs, error}) => {
			admission.holdUntil(ports.clock.now() + delayMs, `claude retries a request the API turned away (${error}) in ${formatDuration(delayMs)}`);
			logger.info('claude will retry a turned-away request; new workers wait', {taskId, delayMs, error});
		},
		maxRssBytes: () => options.workerMaxRssBytes,
		questions,
	});
	const runner: TaskRunner = new TaskRunner({
		clock: ports.clock,
		queue,
		ledger,
		admission,
		supervisor,
		finisher,
		maxAttempts: options.maxAttempts,
		retryBaseMs: options.retryBaseMs,
		isTakingWork: () => hooks.phase() === 'running',
		canResume,
		takenOver: id => shared?.takeTakeover(id),
		...(ports.coordinator ? {hostId: ports.coordinator.hostId} : {}),
		note,
		onStarting: task => governance.noteStarted(task.id, task.mode),
		limitedUntil: () => governance.usage.limitedUntil(),
		onParked: () => parking.arm(),
		roleInstructions: name => hooks.roleInstructions(name),
	});
	const pumpSource: PumpSource = {
		get ready() {
			return queue.size;
		},
		get running() {
			return supervisor.size;
		},
		get nextMode() {
			const next = queue.peek();
			return next === undefined ? undefined : ledger.active(next)?.mode;
		},
		startNext: () => runner.startNext(),
		// Parked tasks whose reset came go first, before anything else in the queue takes the ramp's few starts.
		prepare: () => parking.releaseDue(),
	};
	const shared: SharedQueue | undefined = ports.coordinator
		? new SharedQueue({
				coordinator: ports.coordinator,
				clock: ports.clock,
				ledger,
				output: ports.output,
				logger,
				ready: () => queue.size,
				running: () => supervisor.size,
				hasWorker: id => supervisor.has(id),
				verdict: () => admission.verdict(supervisor.size),
				ceiling: () => options.maxWorkers,
				enqueue: enqueueWhenReady,
				unqueue: id => gate.forget(id),
				stopWorker: (id, reason) => void supervisor.stop(id, {kind: 'shutdown'}, reason),
				pump,
				note,
				report,
			})
		: undefined;

	function canResume(task: Task): boolean {
		return ports.driver.canResume({cwd: workingDirectory(task), sessionId: task.sessionId});
	}

	function enqueueWhenReady(task: Task): void {
		if (!needsWorktree(task) || !ports.workspaces) {
			gate.admit(task);
			return;
		}
		prepareWorktree(task, {
			workspaces: ports.workspaces,
			ledger,
			onReady: ready => {
				gate.admit(ready);
				pump();
			},
			onFailed: (failed, reason) => finisher.finish(failed, 'failed', {failureReason: reason}),
		});
	}

	function pump(): void {
		if (hooks.phase() !== 'running') return;
		admission.pump(pumpSource);
		shared?.refill();
		governance.watch(queue.size > 0 || supervisor.size > 0, () => pump());
	}

	/**
	 * A worker reported on the usage limit. When it is reached, no new worker starts until the reset, and this worker is
	 * stopped and parked: a TUI would wait for the reset by itself, but holding a process (and a slot) for hours helps
	 * nobody, and its conversation is on disk to go on from.
	 */
	function onUsageLimit(taskId: string, report: UsageLimitReport): void {
		const until = governance.noteUsageLimit(report);
		if (until === undefined) return;
		logger.warn('the usage limit is reached; new workers wait for its reset', {taskId, kind: report.kind, resetsAt: new Date(until).toISOString()});
		void supervisor.stop(taskId, {kind: 'park', until}, 'parked at the usage limit');
	}

	function note(id: string, text: string): void {
		if (hooks.phase() === 'stopped') return;
		try {
			ports.output.append(id, text, ledger.active(id)?.maxOutputBytes);
		} catch (error) {
			report(`Could not write the output of task ${id}: ${messageOf(error)}`, error);
		}
		bus.emit('worker:output', {taskId: id});
	}

	function report(message: string, cause: unknown): void {
		logger.error(message);
		bus.emit('fleet:error', {message, cause});
	}

	return {
		options,
		logger,
		bus,
		queue,
		ledger,
		gate,
		admission,
		supervisor,
		finisher,
		runner,
		pumpSource,
		governance,
		parking,
		questions,
		control,
		shared,
		pump,
		note,
		report,
		enqueueWhenReady,
		canResume,
		holds,
	};
}
