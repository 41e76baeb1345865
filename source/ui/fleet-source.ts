// Longer than ~300 lines for a reason: one object, the dashboard's whole link to the core over MCP — the snapshot,
// the pushed changes, output, and every action — shares one client, its reconnection and its fallback polling; the
// types above it are the contract the fake source in the tests implements.
import {CliError, type FleetClient} from '../cli/client.js';
import type {Priority} from '../core/domain/task.js';
import {FLEET_URI, fleetChangesOf, type FleetChanges} from '../protocol/fleet-changes.js';
import type {TaskSpec} from '../core/domain/task-spec.js';
import type {QuestionView, ToolName, ToolResult} from '../protocol/tool-results.js';
import type {FleetLimitsChange} from './limits.js';
import type {ScheduleRunView, ScheduleView, TaskView} from '../protocol/views.js';

/** A task as the dashboard shows it: the core's view, worker memory and current activity included. */
export type DashboardTask = TaskView;

/** A schedule as the dashboard shows it: list_schedules' view plus its latest run (get_schedule), once it has run. */
export type DashboardSchedule = ScheduleView & {lastRun?: ScheduleRunView};

/** What fleet_status returns: the protocol's one type for it. */
export type {FleetStatus} from '../protocol/views.js';
import type {FleetStatus} from '../protocol/views.js';

/** The fleet at one moment: everything the panes draw, fetched together so they never disagree. */
export type Snapshot = {
	/** Every active task (queued, parked, running, needs input) and the most recent ones, newest first. */
	tasks: DashboardTask[];
	fleet: FleetStatus;
	/** Every schedule, oldest first; the last list when this snapshot did not fetch them (see SnapshotOptions). */
	schedules: readonly DashboardSchedule[];
	/** Epoch ms when the snapshot was taken; elapsed times are measured to it so rendering stays a pure function of state. */
	takenAt: number;
};

/** What the Output pane shows for one task. */
export type TaskOutput = {
	lines: string[];
	/** True when `lines` is the live worker's terminal screen; false for the tail of its log. */
	live: boolean;
};

export type PermissionAnswer = {action: 'approve'} | {action: 'deny'; message?: string};
/** With an approval: keep a rule so the same call passes without asking from now on, for the task or its project. */
export type RespondOptions = {always?: 'task' | 'project'};

/** Hears what the core pushes. */
export type FleetWatcher = {
	/** One coalesced change set; at most about ten a second. */
	onChanges(changes: FleetChanges): void;
	/**
	 * The push stopped (false: the connection ended) or runs again on a new connection (true). Either way changes may
	 * have been missed in between.
	 */
	onLive(isLive: boolean): void;
};

export type SnapshotOptions = {
	/**
	 * true: fetch the schedules; false: keep the last list. Unset: every SCHEDULES_EVERY-th snapshot, for a dashboard
	 * that polls because nothing tells it when schedules change.
	 */
	withSchedules?: boolean;
};

/**
 * Where the dashboard gets its data and sends its commands. The fleet sync reads through it, the controller acts
 * through it; tests give an in-memory fake. Every action resolves to the task it changed or created, so the dashboard can show
 * the result before the next snapshot; an expected refusal (unknown id, wrong status) rejects with an Error whose
 * message is fit for the status bar.
 */
export type FleetSource = {
	snapshot(options?: SnapshotOptions): Promise<Snapshot>;
	/**
	 * Starts hearing the core's pushed changes; resolves true once they flow, false when this core cannot push (the
	 * dashboard then polls). A source without it is always polled.
	 */
	watch?(watcher: FleetWatcher): Promise<boolean>;
	output(taskId: string): Promise<TaskOutput>;
	/** Hands a task spec to the fleet, whole: the same spec delegate_task, the CLI and schedules take. */
	delegate(spec: TaskSpec): Promise<TaskView>;
	cancel(id: string, reason: string): Promise<TaskView>;
	/** Cancels every unfinished step of a workflow; resolves to all its steps. */
	cancelWorkflow?(id: string, reason: string): Promise<TaskView[]>;
	/** Runs a finished task again from scratch; resolves to the new task. */
	retry(id: string): Promise<TaskView>;
	/** Continues a finished task's conversation, told `additionalContext` when given; resolves to the new task. */
	resume(id: string, additionalContext?: string): Promise<TaskView>;
	respond(id: string, answer: PermissionAnswer, options?: RespondOptions): Promise<TaskView>;
	/** Every permission question waiting across the fleet, oldest first (the inbox). */
	questions(): Promise<QuestionView[]>;
	reprioritize(id: string, priority: Priority): Promise<TaskView>;
	/** One task by id, for the DAG pane's members that are too old to be in the snapshot. */
	task(id: string): Promise<TaskView>;
	pauseSchedule(id: string): Promise<DashboardSchedule>;
	resumeSchedule(id: string): Promise<DashboardSchedule>;
	cancelSchedule(id: string, reason: string): Promise<DashboardSchedule>;
	/**
	 * Changes the fleet's limits while it runs (configure_fleet); only the given fields change, null takes a ceiling or
	 * budget away. A value out of range rejects with the core's message, which names the accepted range.
	 */
	configure(change: FleetLimitsChange): Promise<ToolResult<'configure_fleet'>>;
};

/** How many of the newest tasks a snapshot carries besides the active ones. */
export const RECENT_TASKS = 200;
/** Lines of a log the Output pane asks for: more than any terminal is tall. */
const OUTPUT_TAIL_LINES = 200;
/** Schedules are fetched on the first snapshot and then on every this-many-th one. */
const SCHEDULES_EVERY = 2;
/** Active tasks are few (bounded by the queue); this only keeps a runaway queue from making every snapshot huge. */
const MAX_ACTIVE_TASKS = 1000;

export type McpFleetSourceOptions = {
	/** Epoch ms for `takenAt`. */
	clock?: () => number;
	/**
	 * A new connection to the core, for when the old one is lost (the daemon was restarted or stopped). Without it, a
	 * lost connection stays lost.
	 */
	reconnect?: () => Promise<FleetClient>;
};

export type McpFleetSource = FleetSource & {
	/** Closes the connection in use (the first one, or the one a reconnect made). */
	close(): Promise<void>;
};

/** A FleetSource over the MCP tools of a running core. */
export function createMcpFleetSource(initial: FleetClient, options: McpFleetSourceOptions = {}): McpFleetSource {
	const clock = options.clock ?? Date.now;
	let client = initial;
	let reconnecting: Promise<void> | undefined;
	let watcher: FleetWatcher | undefined;

	/** Subscribes `target` to the fleet's changes; what arrives on a connection no longer in use is dropped. */
	const watchOn = async (target: FleetClient): Promise<boolean> => {
		target.onClose(() => {
			if (target === client) watcher?.onLive(false);
		});
		try {
			await target.subscribe(FLEET_URI, meta => {
				const changes = fleetChangesOf(meta);
				if (changes && target === client) watcher?.onChanges(changes);
			});
			return true;
		} catch {
			// An older core without the fleet resource, or the connection went meanwhile: the dashboard polls.
			return false;
		}
	};

	/** Connections seen to close: a call that failed on one of them failed for that, not for the core's refusal. */
	const closed = new WeakSet<FleetClient>();
	const watched = new WeakSet<FleetClient>();
	const watchClosing = (target: FleetClient) => {
		if (watched.has(target)) return;
		watched.add(target);
		target.onClose(() => closed.add(target));
	};

	const reconnect = (): Promise<void> => {
		reconnecting ??= (async () => {
			try {
				const fresh = await options.reconnect!();
				const old = client;
				client = fresh;
				await old.close().catch(() => undefined);
				if (watcher) watcher.onLive(await watchOn(fresh));
			} finally {
				reconnecting = undefined;
			}
		})();
		return reconnecting;
	};

	/**
	 * Calls a tool; when the connection is lost, connects again. A read is then repeated; an action is not (it may
	 * have reached the core before the connection broke), so its failure is reported and the next action goes
	 * through. A CliError is the core refusing a call (unknown id, wrong status): an answer, not a lost connection.
	 */
	const call = async <N extends ToolName>(tool: N, args: Record<string, unknown>, isRead = false): Promise<ToolResult<N>> => {
		const used = client;
		watchClosing(used);
		try {
			return await used.call(tool, args);
		} catch (error) {
			// The client words a lost connection as a CliError too; the connection's own close tells them apart.
			const isLost = closed.has(used) || !(error instanceof CliError) || /Connection closed|Not connected/i.test(String(error));
			if (!isLost || !options.reconnect) throw error;
			if (!isRead) {
				reconnect().catch(() => undefined);
				throw error;
			}
			await reconnect();
			return client.call(tool, args);
		}
	};

	let snapshots = 0;
	let schedules: DashboardSchedule[] = [];

	/**
	 * list_schedules, then get_schedule for each schedule whose latest run is not known yet or had not ended: one call
	 * in the usual case, a few more in the minute a schedule fires.
	 */
	const pullSchedules = async (): Promise<DashboardSchedule[]> => {
		const known = new Map(schedules.map(schedule => [schedule.id, schedule.lastRun]));
		let listed: ScheduleView[];
		try {
			listed = (await call('list_schedules', {}, true)).schedules;
		} catch {
			// Schedules are the least urgent news: a core without them, or a failed pull, keeps the last list
			// instead of failing the snapshot (a lost connection shows through the task calls anyway).
			return schedules;
		}
		return Promise.all(
			listed.map(async schedule => {
				const lastRun = known.get(schedule.id);
				if (schedule.lastRunAt === undefined) return schedule;
				if (lastRun && lastRun.firedAt === schedule.lastRunAt && lastRun.outcome !== 'started') return {...schedule, lastRun};
				try {
					const {runs} = await call('get_schedule', {id: schedule.id, runs: 1}, true);
					return runs[0] ? {...schedule, lastRun: runs[0]} : schedule;
				} catch {
					// Cancelled or gone between the two calls: shown without its last run until the next pull.
					return lastRun ? {...schedule, lastRun} : schedule;
				}
			}),
		);
	};

	/** Keeps an action's answer for the next snapshot, with the last run the answer does not carry. */
	const applySchedule = (changed: ScheduleView): DashboardSchedule => {
		const lastRun = schedules.find(known => known.id === changed.id)?.lastRun;
		const merged = lastRun ? {...changed, lastRun} : changed;
		schedules = schedules.map(known => (known.id === changed.id ? merged : known));
		return merged;
	};

	return {
		close: () => client.close(),
		watch(next) {
			watcher = next;
			return watchOn(client);
		},
		async snapshot(snapshotOptions = {}) {
			const withSchedules = snapshotOptions.withSchedules ?? snapshots++ % SCHEDULES_EVERY === 0;
			// Queued and parked tasks can be older than the newest 200, and the Queue pane must show all of them.
			const [active, recent, fleet, fresh] = await Promise.all([
				call('task_status', {status: ['queued', 'parked', 'running', 'needs_input'], limit: MAX_ACTIVE_TASKS}, true),
				call('task_status', {limit: RECENT_TASKS}, true),
				call('fleet_status', {}, true),
				withSchedules ? pullSchedules() : undefined,
			]);
			if (fresh) schedules = fresh;
			return {tasks: mergeNewestFirst(active.tasks ?? [], recent.tasks ?? []), fleet, schedules, takenAt: clock()};
		},
		async output(taskId) {
			const result = await call('task_logs', {id: taskId, tail: OUTPUT_TAIL_LINES, screen: true}, true);
			const screen = result.screen ?? [];
			if (screen.some(line => line.trim() !== '')) return {lines: screen, live: true};
			return {lines: result.log === '' ? [] : result.log.replace(/\n$/, '').split('\n'), live: false};
		},
		async delegate(spec) {
			return (await call('delegate_task', spec)).task;
		},
		async cancel(id, reason) {
			return (await call('cancel_task', {id, reason})).task;
		},
		async cancelWorkflow(id, reason) {
			const answer = await call('cancel_task', {id, reason});
			return answer.tasks ?? [answer.task];
		},
		async retry(id) {
			return (await call('retry_task', {id})).task;
		},
		async resume(id, additionalContext) {
			return (await call('resume_task', {id, ...(additionalContext ? {additionalContext} : {})})).task;
		},
		async respond(id, answer, respondOptions = {}) {
			const args = answer.action === 'deny' && answer.message ? {id, action: 'deny', message: answer.message} : {id, action: answer.action};
			const always = respondOptions.always ? {always: respondOptions.always} : {};
			return answered((await call('respond_to_task', {...args, ...always})).task, 'respond_to_task');
		},
		async questions() {
			return (await call('list_questions', {}, true)).questions;
		},
		async reprioritize(id, priority) {
			return answered((await call('manage_queue', {action: 'reprioritize', id, priority})).task, 'manage_queue');
		},
		async task(id) {
			return answered((await call('task_status', {id}, true)).task, 'task_status');
		},
		async pauseSchedule(id) {
			return applySchedule((await call('pause_schedule', {id})).schedule);
		},
		async resumeSchedule(id) {
			return applySchedule((await call('resume_schedule', {id})).schedule);
		},
		async cancelSchedule(id, reason) {
			return applySchedule((await call('cancel_schedule', {id, reason})).schedule);
		},
		configure(change) {
			return call('configure_fleet', change);
		},
	};
}

/** The task an answer must carry; a core whose answer lacks it runs another version of ccfleet. */
function answered(task: TaskView | undefined, tool: string): TaskView {
	if (!task) throw new Error(`The core's answer to ${tool} has no task; it is probably another version of ccfleet.`);
	return task;
}

/** Both lists come newest first; a task in both (an active one among the newest) is kept once, from the first list. */
function mergeNewestFirst(first: DashboardTask[], second: DashboardTask[]): DashboardTask[] {
	const seen = new Set(first.map(task => task.id));
	const merged = [...first, ...second.filter(task => !seen.has(task.id))];
	return merged.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
