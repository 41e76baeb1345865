import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {TaskNotFoundError} from '../core/domain/errors.js';
import type {Fleet} from '../core/fleet.js';
import type {Scheduler} from '../core/scheduler.js';
import {FLEET_CHANGES_META_KEY, FLEET_URI, type FleetChanges, type ScheduleChange} from '../protocol/fleet-changes.js';
import {runView, scheduleView} from './schedule-view.js';
import {fleetCounters} from './fleet-counters.js';
import {taskView} from './task-view.js';

/** Least time between two change notifications to one client: a busy fleet changes many times a second. */
export const FEED_FLUSH_MS = 100;
/** How often the screens of live workers are compared with what they showed, to announce the ones that changed. */
export const SCREEN_CHECK_MS = 250;
/** Prompts in a change set are cut as task_status cuts them in its lists. */
const PROMPT_CHARS = 200;

/** The part of the Scheduler the feed reads. */
export type FeedScheduler = Pick<Scheduler, 'on' | 'get' | 'runs'>;

export type FleetFeedOptions = {
	scheduler?: FeedScheduler;
	/** @default FEED_FLUSH_MS */
	flushMs?: number;
};

function queuePositions(fleet: Fleet): Map<string, number> {
	return new Map(fleet.queueOrder().map((id, index) => [id, index + 1]));
}

/**
 * Collects what changes in the fleet and the scheduler for one subscriber and hands it to `send` as one FleetChanges
 * at most every `flushMs`. An event only marks an id dirty (a set insertion, whatever the rate of output); the views
 * are built once per flush, for the ids marked since the last one. The first change after a quiet spell goes out on
 * the next turn of the event loop (so the operation that caused it has finished), later ones at the end of the
 * window, so the last change is never held back longer than `flushMs`.
 * Returns the stop, which detaches every listener and drops what is pending. Idempotent.
 */
export function startFleetFeed(fleet: Fleet, send: (changes: FleetChanges) => void, options: FleetFeedOptions = {}): () => void {
	const flushMs = options.flushMs ?? FEED_FLUSH_MS;
	const {scheduler} = options;
	const tasks = new Set<string>();
	const output = new Set<string>();
	const schedules = new Set<string>();
	let isFleetDirty = false;
	let isQueueDirty = false;
	// A task's place moves when another task joins, leaves or jumps the queue, with no event of its own.
	let positions = queuePositions(fleet);
	let leading: NodeJS.Timeout | undefined;
	let window: NodeJS.Timeout | undefined;
	let isPending = false;
	let isStopped = false;
	/** What each live worker's screen showed at the last check. */
	const screens = new Map<string, string>();
	let screenTimer: NodeJS.Timeout | undefined;

	const build = (): FleetChanges | undefined => {
		if (isQueueDirty) {
			const next = queuePositions(fleet);
			for (const [id, position] of next) if (positions.get(id) !== position) tasks.add(id);
			for (const id of positions.keys()) if (!next.has(id)) tasks.add(id);
			positions = next;
		}
		const changes: FleetChanges = {tasks: [], output: [...output], schedules: []};
		for (const id of tasks) {
			try {
				changes.tasks.push(taskView(fleet, fleet.get(id), {promptChars: PROMPT_CHARS}));
			} catch (error) {
				if (!(error instanceof TaskNotFoundError)) throw error;
			}
		}
		for (const id of schedules) {
			try {
				const lastRun = scheduler!.runs(id, 1)[0];
				const change: ScheduleChange = scheduleView(scheduler!.get(id), {promptChars: PROMPT_CHARS});
				changes.schedules.push(lastRun ? {...change, lastRun: runView(lastRun)} : change);
			} catch {
				// Gone between the event and the flush; the next list shows what is there.
			}
		}
		if (isFleetDirty) changes.fleet = fleetCounters(fleet);
		tasks.clear();
		output.clear();
		schedules.clear();
		isFleetDirty = false;
		isQueueDirty = false;
		const isEmpty = changes.tasks.length === 0 && changes.output.length === 0 && changes.schedules.length === 0 && !changes.fleet;
		return isEmpty ? undefined : changes;
	};

	const flush = () => {
		if (isStopped) return;
		let changes: FleetChanges | undefined;
		try {
			changes = build();
		} catch {
			// A store read failed; the client's slow poll catches up, and the next change is tried afresh.
			return;
		}
		if (changes) send(changes);
	};

	const openWindow = () => {
		window = setTimeout(() => {
			window = undefined;
			if (!isPending) return;
			isPending = false;
			flush();
			openWindow();
		}, flushMs);
		// A trailing notification is not worth keeping a process alive for.
		window.unref();
	};

	const touch = () => {
		if (isStopped || leading) return;
		if (window) {
			isPending = true;
			return;
		}
		leading = setTimeout(() => {
			leading = undefined;
			flush();
			openWindow();
		}, 0);
		leading.unref();
	};

	// A pty worker's bytes go to its headless screen, and the fleet announces only what is written to the log
	// (worker:output): a screen's changes are found by looking. Joining a screen's rows is cheap next to the
	// task_logs call a dashboard would otherwise make for it on a timer, and is done only while someone subscribes.
	const checkScreens = () => {
		const live = new Set<string>();
		for (const {taskId} of fleet.workers()) {
			live.add(taskId);
			const text = fleet.screen(taskId).join('\n');
			if (screens.get(taskId) === text) continue;
			screens.set(taskId, text);
			output.add(taskId);
			touch();
		}
		for (const id of screens.keys()) if (!live.has(id)) screens.delete(id);
	};
	const armScreenCheck = () => {
		screenTimer = setTimeout(() => {
			try {
				checkScreens();
			} catch {
				// A worker ended between the list and the look; the next check sees the fleet as it is.
			}
			if (!isStopped) armScreenCheck();
		}, SCREEN_CHECK_MS);
		screenTimer.unref();
	};
	armScreenCheck();

	const onTask = (id: string) => {
		tasks.add(id);
		isQueueDirty = true;
		isFleetDirty = true;
		touch();
	};
	const onSchedule = (id: string) => {
		schedules.add(id);
		touch();
	};
	const offs = [
		fleet.on('task:created', ({task}) => onTask(task.id)),
		fleet.on('task:updated', ({task}) => onTask(task.id)),
		fleet.on('worker:state', ({taskId}) => {
			tasks.add(taskId);
			isFleetDirty = true;
			touch();
		}),
		fleet.on('worker:output', ({taskId}) => {
			output.add(taskId);
			touch();
		}),
		fleet.on('fleet:configured', () => {
			isFleetDirty = true;
			touch();
		}),
		...(scheduler
			? [
					scheduler.on('schedule:created', ({schedule}) => onSchedule(schedule.id)),
					scheduler.on('schedule:updated', ({schedule}) => onSchedule(schedule.id)),
					scheduler.on('schedule:run-recorded', ({run}) => onSchedule(run.scheduleId)),
				]
			: []),
	];

	return () => {
		if (isStopped) return;
		isStopped = true;
		for (const off of offs) off();
		clearTimeout(leading);
		clearTimeout(window);
		clearTimeout(screenTimer);
	};
}

/** The fleet resource's subscription on one connection, for the subscribe handler (see registerTaskResources). */
export type ResourceSubscription = {
	readonly uri: string;
	subscribe(): void;
	unsubscribe(): void;
};

/**
 * Serves FLEET_URI on one connection's McpServer: reading it gives fleet_status's JSON; subscribing to it starts a
 * feed whose change sets go out as notifications/resources/updated with the changes in `_meta`. The feed stops on
 * unsubscribe and when the connection closes. Call before `server.connect()`.
 */
export function registerFleetResource(server: McpServer, fleet: Fleet, options: FleetFeedOptions = {}): ResourceSubscription {
	let stopFeed: (() => void) | undefined;

	server.registerResource(
		'fleet',
		FLEET_URI,
		{
			title: 'ccfleet fleet',
			description:
				'The fleet at a glance (as fleet_status). Subscribe to hear of every change in the fleet, at most ten times a second; each notification carries ' +
				`the changed tasks, the tasks with new output and the changed schedules in its _meta under "${FLEET_CHANGES_META_KEY}".`,
			mimeType: 'application/json',
		},
		async uri => {
			const status = {...fleetCounters(fleet), system: await fleet.sampleSystem()};
			return {contents: [{uri: uri.href, mimeType: 'application/json', text: JSON.stringify(status, null, 2)}]};
		},
	);

	const send = (changes: FleetChanges) => {
		// Fire and forget: the connection may close at any moment, and a notification to a gone client is moot.
		try {
			server.server.sendResourceUpdated({uri: FLEET_URI, _meta: {[FLEET_CHANGES_META_KEY]: changes}}).catch(() => {});
		} catch {
			// The transport threw synchronously (closed); nothing to tell.
		}
	};

	const unsubscribe = () => {
		stopFeed?.();
		stopFeed = undefined;
	};

	// Chained rather than replaced: whoever set onclose before us still hears about the close.
	const previousOnClose = server.server.onclose;
	server.server.onclose = () => {
		previousOnClose?.();
		unsubscribe();
	};

	return {
		uri: FLEET_URI,
		subscribe() {
			stopFeed ??= startFleetFeed(fleet, send, options);
		},
		unsubscribe,
	};
}
