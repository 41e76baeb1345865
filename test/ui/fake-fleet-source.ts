import {TASK_STATUSES, type Priority, type TaskStatus} from '../../source/core/domain/task.js';
import type {FleetChanges} from '../../source/protocol/fleet-changes.js';
import type {TaskSpec} from '../../source/core/domain/task-spec.js';
import type {QuestionView, ToolResult} from '../../source/protocol/tool-results.js';
import type {AdmissionView, TaskView} from '../../source/protocol/views.js';
import type {FleetLimitsChange} from '../../source/ui/limits.js';
import type {
	DashboardSchedule,
	DashboardTask,
	FleetSource,
	FleetStatus,
	FleetWatcher,
	PermissionAnswer,
	RespondOptions,
	Snapshot,
	SnapshotOptions,
	TaskOutput,
} from '../../source/ui/fleet-source.js';

/** The fixed "now" of every fake snapshot, so elapsed times in frames are exact. */
export const NOW = Date.parse('2026-03-01T12:00:00.000Z');

export const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();

let sequence = 0;

/** A task view with plausible defaults; `id` and `status` are what most tests care about. */
export function makeTask(overrides: Partial<DashboardTask> & {id: string}): DashboardTask {
	sequence++;
	const status = overrides.status ?? 'queued';
	const isStarted = status !== 'queued';
	const isEnded = status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'skipped';
	return {
		status,
		priority: 'P1',
		prompt: `Prompt of ${overrides.id}`,
		cwd: '/work/project',
		permissionMode: 'acceptEdits',
		sessionId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
		createdAt: iso(10 * 60_000 - sequence * 1000),
		...(isStarted ? {startedAt: iso(5 * 60_000)} : {}),
		...(isEnded ? {endedAt: iso(60_000)} : {}),
		attempts: isStarted ? 1 : 0,
		timeoutMs: 30 * 60_000,
		costUsd: 0,
		tokens: {input: 0, output: 0, cacheRead: 0, cacheCreation: 0},
		...(status === 'running' ? {workerState: 'busy' as const, pid: 4000 + sequence} : {}),
		...overrides,
	} as DashboardTask;
}

/** A schedule view with plausible defaults: a weekday-morning cron in Berlin that has not run yet. */
export function makeSchedule(overrides: Partial<DashboardSchedule> & {id: string}): DashboardSchedule {
	return {
		kind: 'cron',
		status: 'active',
		cron: '0 9 * * 1-5',
		timezone: 'Europe/Berlin',
		missedRunPolicy: 'skip',
		task: {prompt: `Prompt of ${overrides.id}`, cwd: '/work/project'},
		nextRunAt: new Date(NOW + 90 * 60_000).toISOString(),
		createdAt: iso(86_400_000),
		updatedAt: iso(86_400_000),
		...overrides,
	};
}

type Call = {method: string; args: unknown[]};

/** An in-memory fleet: snapshots are computed from `tasks`; actions change `tasks` as the core would, and are recorded. */
export class FakeFleetSource implements FleetSource {
	tasks: DashboardTask[];
	/** Tasks too old for a snapshot that task(id) still finds (the DAG pane fetches them). */
	archived: DashboardTask[] = [];
	schedules: DashboardSchedule[] = [];
	outputs = new Map<string, TaskOutput>();
	fleetOverrides: Partial<FleetStatus> = {};
	/** Merged over the admission state: `heldBy` to hold the queue, `maxWorkers: undefined` for no ceiling. */
	admission: Partial<AdmissionView> = {};
	allowed = 4;
	calls: Call[] = [];
	snapshotCount = 0;
	outputCount = 0;
	/** When set, the next action rejects with it (once). */
	failNextAction?: Error;
	/** When set, snapshot() waits for it before answering. */
	snapshotGate?: Promise<void>;
	takenAt = NOW;
	/** When each task's question was asked (ISO), for questions(). */
	askedAt = new Map<string, string>();
	#ids = 0;

	constructor(tasks: DashboardTask[] = []) {
		this.tasks = tasks;
	}

	fleet(): FleetStatus {
		const live = this.tasks.filter(task => task.status === 'running' || task.status === 'needs_input');
		const counts = Object.fromEntries(TASK_STATUSES.map(status => [status, this.tasks.filter(task => task.status === status).length])) as Record<TaskStatus, number>;
		return {
			workers: {running: live.length, allowed: this.allowed},
			admission: {
				maxWorkers: this.allowed,
				cpuThresholdPercent: 80,
				memoryReserveBytes: 1024 ** 3,
				workerMaxRssBytes: 4 * 1024 ** 3,
				spentTodayUsd: 0,
				expectedWorkerBytes: {pty: 250 * 1024 ** 2, headless: 125 * 1024 ** 2},
				workerBytes: live.length * 300 * 1024 ** 2,
				roomFor: 12,
				...this.admission,
			},
			queued: counts.queued,
			ready: counts.queued,
			counts,
			costUsd: this.tasks.reduce((sum, task) => sum + task.costUsd, 0),
			needsInput: live.filter(task => task.question).map(task => ({id: task.id, question: task.question!.question})),
			system: {cpuPercent: 23, memoryFreeBytes: 6 * 1024 ** 3, memoryTotalBytes: 16 * 1024 ** 3},
			...this.fleetOverrides,
		};
	}

	async snapshot(): Promise<Snapshot> {
		this.snapshotCount++;
		if (this.snapshotGate) await this.snapshotGate;
		return {tasks: this.tasks.map(task => ({...task})), fleet: this.fleet(), schedules: this.schedules.map(schedule => ({...schedule})), takenAt: this.takenAt};
	}

	async output(taskId: string): Promise<TaskOutput> {
		this.outputCount++;
		return this.outputs.get(taskId) ?? {lines: [], live: false};
	}

	#record(method: string, ...args: unknown[]) {
		this.calls.push({method, args});
		const failure = this.failNextAction;
		this.failNextAction = undefined;
		if (failure) throw failure;
	}

	#get(id: string): DashboardTask {
		const task = this.tasks.find(known => known.id === id);
		if (!task) throw new Error(`No task ${id}.`);
		return task;
	}

	#replace(task: DashboardTask): TaskView {
		this.tasks = this.tasks.map(known => (known.id === task.id ? task : known));
		return task;
	}

	#add(fields: Partial<DashboardTask>): TaskView {
		const id = `new${++this.#ids}`;
		const position = this.tasks.filter(task => task.status === 'queued').length + 1;
		const task = makeTask({id, status: 'queued', createdAt: iso(0), queuePosition: position, ...fields});
		this.tasks = [task, ...this.tasks];
		return task;
	}

	async delegate(input: TaskSpec): Promise<TaskView> {
		this.#record('delegate', input);
		return this.#add({prompt: input.prompt, cwd: input.cwd, priority: input.priority});
	}

	async cancel(id: string, reason: string): Promise<TaskView> {
		this.#record('cancel', id, reason);
		const task = this.#get(id);
		const {workerState: _state, question: _question, queuePosition: _position, ...rest} = task;
		return this.#replace({...rest, status: 'cancelled', endedAt: iso(0), failureReason: reason, cancelledBy: 'dashboard'});
	}

	async retry(id: string): Promise<TaskView> {
		this.#record('retry', id);
		const task = this.#get(id);
		return this.#add({prompt: task.prompt, cwd: task.cwd, priority: task.priority});
	}

	async resume(id: string, additionalContext?: string): Promise<TaskView> {
		if (additionalContext === undefined) this.#record('resume', id);
		else this.#record('resume', id, additionalContext);
		const task = this.#get(id);
		return this.#add({prompt: 'Continue the task from where you stopped and finish it.', cwd: task.cwd, priority: task.priority});
	}

	async respond(id: string, answer: PermissionAnswer, options?: RespondOptions): Promise<TaskView> {
		if (options?.always === undefined) this.#record('respond', id, answer);
		else this.#record('respond', id, answer, options);
		const {question: _question, ...rest} = this.#get(id);
		return this.#replace({...rest, status: 'running', workerState: 'busy'});
	}

	/** The tasks that wait with a question, oldest question first; when each was asked comes from `askedAt` (else its start). */
	async questions(): Promise<QuestionView[]> {
		this.calls.push({method: 'questions', args: []});
		const waiting = this.tasks.filter(task => task.question && (task.status === 'needs_input' || task.workerState === 'needs_input'));
		const views = waiting.map(task => {
			const askedAt = this.askedAt.get(task.id) ?? task.startedAt ?? task.createdAt;
			const {toolName, toolInput, question} = task.question!;
			const context = (this.outputs.get(task.id)?.lines ?? []).filter(line => line.trim() !== '');
			return {
				taskId: task.id,
				cwd: task.cwd,
				prompt: task.prompt.split('\n', 1)[0]!,
				toolName,
				toolInput,
				question,
				askedAt,
				waitingMs: this.takenAt - Date.parse(askedAt),
				context,
			};
		});
		return views.sort((a, b) => Date.parse(a.askedAt) - Date.parse(b.askedAt));
	}

	async reprioritize(id: string, priority: Priority): Promise<TaskView> {
		this.#record('reprioritize', id, priority);
		return this.#replace({...this.#get(id), priority});
	}

	async task(id: string): Promise<TaskView> {
		this.calls.push({method: 'task', args: [id]});
		const task = [...this.tasks, ...this.archived].find(known => known.id === id);
		if (!task) throw new Error(`No task with id "${id}".`);
		return task;
	}

	#schedule(id: string, change: (schedule: DashboardSchedule) => DashboardSchedule): DashboardSchedule {
		const schedule = this.schedules.find(known => known.id === id);
		if (!schedule) throw new Error(`No schedule with id "${id}".`);
		const changed = {...change(schedule), updatedAt: iso(0)};
		this.schedules = this.schedules.map(known => (known.id === id ? changed : known));
		return changed;
	}

	async pauseSchedule(id: string): Promise<DashboardSchedule> {
		this.#record('pauseSchedule', id);
		return this.#schedule(id, ({nextRunAt: _next, nextRunLocal: _local, ...rest}) => ({...rest, status: 'paused'}));
	}

	async resumeSchedule(id: string): Promise<DashboardSchedule> {
		this.#record('resumeSchedule', id);
		return this.#schedule(id, schedule => ({...schedule, status: 'active', nextRunAt: new Date(NOW + 90 * 60_000).toISOString()}));
	}

	async cancelSchedule(id: string, reason: string): Promise<DashboardSchedule> {
		this.#record('cancelSchedule', id, reason);
		return this.#schedule(id, ({nextRunAt: _next, nextRunLocal: _local, ...rest}) => ({...rest, status: 'cancelled', endReason: reason}));
	}

	/** Applies the change to the admission state as the core would; a budget raised past what was spent lets the queue go on. */
	async configure(change: FleetLimitsChange): Promise<ToolResult<'configure_fleet'>> {
		this.#record('configure', change);
		for (const [field, value] of Object.entries(change)) this.admission = {...this.admission, [field]: value ?? undefined};
		const {admission} = this.fleet();
		if (admission.heldByPolicy === 'daily budget' && (admission.dailyBudgetUsd === undefined || admission.dailyBudgetUsd > admission.spentTodayUsd)) {
			this.admission = {...this.admission, heldBy: undefined, heldByPolicy: undefined};
		}
		const {maxWorkers, cpuThresholdPercent, memoryReserveBytes, workerMaxRssBytes, dailyBudgetUsd, spentTodayUsd} = this.fleet().admission;
		return {
			settings: {
				...(maxWorkers === undefined ? {} : {maxWorkers}),
				cpuThresholdPercent,
				memoryReserveBytes,
				workerMaxRssBytes,
				...(dailyBudgetUsd === undefined ? {} : {dailyBudgetUsd}),
			},
			spentTodayUsd,
			message: 'Fleet settings changed.',
		};
	}
}

/** A fleet with something in every pane: two queued, one busy, one waiting for an answer, one completed, one failed. */
export function busyFleet(): FakeFleetSource {
	const source = new FakeFleetSource([
		makeTask({id: 'queued01', status: 'queued', priority: 'P0', queuePosition: 1, prompt: 'Write the release notes'}),
		makeTask({id: 'queued02', status: 'queued', priority: 'P2', queuePosition: 2, prompt: 'Refactor the parser'}),
		makeTask({
			id: 'busy0001',
			status: 'running',
			workerState: 'busy',
			startedAt: iso(125_000),
			costUsd: 0.42,
			tokens: {input: 1200, output: 3400, cacheRead: 90_000, cacheCreation: 500},
			rssBytes: 310 * 1024 ** 2,
			prompt: 'Fix the flaky test in queue.test.ts',
		}),
		makeTask({
			id: 'asks0001',
			status: 'needs_input',
			workerState: 'needs_input',
			startedAt: iso(60_000),
			question: {toolName: 'Bash', toolInput: {command: 'npm test'}, question: 'Bash: npm test'},
			prompt: 'Run the tests and fix what fails',
		}),
		makeTask({id: 'done0001', status: 'completed', result: 'All done.', costUsd: 1.5, prompt: 'Summarise the design'}),
		makeTask({id: 'fail0001', status: 'failed', failureReason: 'timed out after 30m', prompt: 'Port the CLI to Rust'}),
	]);
	source.outputs.set('busy0001', {lines: ['> Running vitest', '  ✓ queue.test.ts (12 tests)', '', ''], live: true});
	source.outputs.set('asks0001', {lines: ['Claude wants to run: npm test', 'Do you want to proceed?'], live: true});
	source.outputs.set('done0001', {lines: ['prompt: Summarise the design', 'result: All done.'], live: false});
	return source;
}

/** A fake core that pushes: `watch` subscribes, `push` sends a change set, `setLive` stops or restarts the push. */
export class PushingFleetSource extends FakeFleetSource {
	watcher: FleetWatcher | undefined;
	/** What snapshot() was asked, in order. */
	snapshotOptions: Array<SnapshotOptions | undefined> = [];
	/** When false, watch() answers that this core cannot push. */
	canPush = true;

	override async snapshot(options?: SnapshotOptions): Promise<Snapshot> {
		this.snapshotOptions.push(options);
		return super.snapshot();
	}

	async watch(watcher: FleetWatcher): Promise<boolean> {
		this.watcher = watcher;
		return this.canPush;
	}

	/** Sends a change set, filled in with nothing changed where not given. */
	push(changes: Partial<FleetChanges>): void {
		this.watcher!.onChanges({tasks: [], output: [], schedules: [], ...changes});
	}

	/** Changes a task as the core would and pushes it. */
	change(id: string, fields: Partial<DashboardTask>): DashboardTask {
		const task = {...this.tasks.find(known => known.id === id)!, ...fields};
		this.tasks = this.tasks.map(known => (known.id === id ? task : known));
		this.push({tasks: [task]});
		return task;
	}
}

/** 48 minutes after NOW: when the usage limit of parkedFleet() resets. */
export const RESETS_AT = new Date(NOW + 48 * 60_000).toISOString();

/** `22:48`: a time as the dashboard shows it, in the local zone the test runs in. */
export function localTime(iso: string): string {
	const at = new Date(iso);
	return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

/**
 * The busy fleet at the account's 5-hour limit: two of its workers were parked until the reset (RESETS_AT), and the
 * queue is held by the usage-limit policy.
 */
export function parkedFleet(): FakeFleetSource {
	const source = busyFleet();
	source.tasks.push(
		makeTask({id: 'parked01', status: 'parked', parkedUntil: RESETS_AT, costUsd: 0.3, prompt: 'Port the parser to the new AST'}),
		makeTask({id: 'parked02', status: 'parked', parkedUntil: RESETS_AT, prompt: 'Update the changelog'}),
	);
	source.admission = {heldBy: `the 5-hour usage limit is reached; nothing starts until it resets at ${RESETS_AT}`, heldByPolicy: 'usage limit'};
	source.fleetOverrides = {usageLimit: {state: 'limited', kind: 'five_hour', resetsAt: RESETS_AT}};
	return source;
}
