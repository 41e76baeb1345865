import type {TaskStatus} from '../core/domain/task.js';
import type {ScheduleRunView, ScheduleView} from './schedule-view.js';
import type {TaskView} from './task-view.js';

/**
 * The whole fleet as one resource. Subscribing to it (resources/subscribe) makes the core send
 * notifications/resources/updated for it whenever anything in the fleet changes, coalesced, each carrying what
 * changed under FLEET_CHANGES_META_KEY in its `_meta`. A client that ignores `_meta` can read the resource instead.
 */
export const FLEET_URI = 'ccfleet://fleet';
/** The `_meta` key of a fleet notification's change set (MCP's prefixed form, so it cannot clash with the protocol's). */
export const FLEET_CHANGES_META_KEY = 'ccfleet/changes';

/** What fleet_status reports, less the machine's CPU and memory: those are sampled, not announced. */
export type FleetCounters = {
	workers: {running: number; allowed: number};
	/** Every queued task, also those waiting for dependencies. */
	queued: number;
	/** Queued tasks that can start as soon as a worker is free. */
	ready: number;
	counts: Record<TaskStatus, number>;
	costUsd: number;
	needsInput: Array<{id: string; question: string}>;
	backoff?: {until: string; reason?: string};
};

/** A schedule as list_schedules shows it, with its latest run as get_schedule shows it. */
export type ScheduleChange = ScheduleView & {lastRun?: ScheduleRunView};

/**
 * Everything that changed since the previous notification. Tasks and schedules come whole (as task_status and
 * list_schedules show them, prompts cut to 200 characters), so a client needs no call to apply them; output comes as
 * task ids only, because screens are large and a client wants at most the one it shows.
 */
export type FleetChanges = {
	/** Tasks created or changed, including queued tasks whose place in the queue moved. */
	tasks: TaskView[];
	/** Tasks whose worker wrote output (fetch it with task_logs). */
	output: string[];
	/** Schedules created or changed, or with a run recorded or settled. */
	schedules: ScheduleChange[];
	/** Present when any task or worker changed. */
	fleet?: FleetCounters;
};

/** The change set a fleet notification carries, or undefined when it carries none this client understands. */
export function fleetChangesOf(meta: Record<string, unknown> | undefined): FleetChanges | undefined {
	const changes = meta?.[FLEET_CHANGES_META_KEY] as Partial<FleetChanges> | undefined;
	if (typeof changes !== 'object' || changes === null) return undefined;
	if (!Array.isArray(changes.tasks) || !Array.isArray(changes.output) || !Array.isArray(changes.schedules)) return undefined;
	return changes as FleetChanges;
}
