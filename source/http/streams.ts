import type {ServerResponse} from 'node:http';
import {isTerminal} from '../core/domain/task.js';
import type {Fleet} from '../core/fleet.js';
import type {Scheduler} from '../core/scheduler.js';
import {fleetCounters} from '../mcp/fleet-counters.js';
import {startFleetFeed} from '../mcp/fleet-feed.js';
import {runView, scheduleView} from '../mcp/schedule-view.js';
import {taskView} from '../mcp/task-view.js';
import type {FleetChanges, ScheduleChange} from '../protocol/fleet-changes.js';
import {startSse} from './sse.js';

/** Output is read from the log at most this often while a worker writes, however fast it writes. */
export const LOG_FLUSH_MS = 100;
/** How many tasks the first event of /events carries (the newest); later events carry every change. */
const SNAPSHOT_TASKS = 500;
const PROMPT_CHARS = 200;

/**
 * Follows one task's log as server-sent events: `output` {text} with what the log gained, `status` {task view} on
 * each change of the task, and `end` {task view} once it ended, after its last output; then the stream closes.
 */
export function streamTaskLog(fleet: Fleet, id: string, response: ServerResponse): void {
	const stream = startSse(response);
	let sentBytes = 0;
	let timer: NodeJS.Timeout | undefined;
	const flushOutput = () => {
		clearTimeout(timer);
		timer = undefined;
		// Only what was appended since the last flush is read: a long log is not read again ten times a second.
		const {text} = fleet.logs(id, {sinceBytes: sentBytes});
		if (!text) return;
		stream.send('output', {text});
		sentBytes += Buffer.byteLength(text);
	};
	const finishIfEnded = (): boolean => {
		const task = fleet.get(id);
		if (!isTerminal(task.status)) return false;
		flushOutput();
		stream.send('end', taskView(fleet, task));
		stream.close();
		return true;
	};
	// A task removed (or a log unreadable) under the stream ends the stream: a throw would reach the fleet's bus as an error.
	const orEnd = (run: () => void) => {
		try {
			run();
		} catch {
			stream.close();
		}
	};
	const offOutput = fleet.on('worker:output', ({taskId}) => {
		if (taskId !== id) return;
		timer ??= setTimeout(() => orEnd(flushOutput), LOG_FLUSH_MS);
	});
	const offStatus = fleet.on('task:updated', ({task}) => {
		if (task.id !== id) return;
		orEnd(() => {
			stream.send('status', taskView(fleet, task));
			finishIfEnded();
		});
	});
	// A question (needs_input) and its answer are the worker's state, not the task's record.
	const offWorker = fleet.on('worker:state', ({taskId}) => {
		if (taskId === id) orEnd(() => stream.send('status', taskView(fleet, fleet.get(id))));
	});
	stream.onClose(() => {
		offOutput();
		offStatus();
		offWorker();
		clearTimeout(timer);
	});
	flushOutput();
	stream.send('status', taskView(fleet, fleet.get(id)));
	finishIfEnded();
}

/** Everything the page needs to draw the fleet at once: every schedule and the newest tasks, as change sets carry them. */
export function fleetSnapshot(fleet: Fleet, scheduler: Scheduler | undefined): FleetChanges {
	const schedules: ScheduleChange[] = (scheduler?.list() ?? []).map(schedule => {
		const change: ScheduleChange = scheduleView(schedule, {promptChars: PROMPT_CHARS});
		const lastRun = scheduler!.runs(schedule.id, 1)[0];
		return lastRun ? {...change, lastRun: runView(lastRun)} : change;
	});
	const tasks = fleet.list({limit: SNAPSHOT_TASKS}).map(task => taskView(fleet, task, {promptChars: PROMPT_CHARS}));
	return {tasks, output: [], schedules, fleet: fleetCounters(fleet)};
}

/**
 * /events: `fleet` events carrying what the ccfleet://fleet resource notification carries in its `_meta` (FleetChanges),
 * the first one a snapshot of the whole fleet.
 */
export function streamFleetEvents(fleet: Fleet, scheduler: Scheduler | undefined, response: ServerResponse): void {
	const stream = startSse(response);
	stream.send('fleet', fleetSnapshot(fleet, scheduler));
	const stop = startFleetFeed(fleet, changes => stream.send('fleet', changes), scheduler ? {scheduler} : {});
	stream.onClose(stop);
}
