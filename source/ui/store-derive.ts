import {isTerminal} from '../core/domain/task.js';
import type {DashboardSchedule, DashboardTask, Snapshot} from './fleet-source.js';
import type {DashboardState, OutputState} from './store.js';

/** Finished tasks the Workers pane keeps below the live ones, so that they can be read, retried and resumed. */
export const RECENT_FINISHED = 50;

/** Whether the task has a worker (running or waiting for an answer). */
export function isLive(task: DashboardTask): boolean {
	return task.status === 'running' || task.status === 'needs_input';
}

export function needsInput(task: DashboardTask): boolean {
	return task.status === 'needs_input' || task.workerState === 'needs_input';
}

/** Every time the core sends is `toISOString()`'s fixed UTC form, so text order is time order, without parsing. */
function byTime(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The lists the panes show, derived from the snapshot and the filter, each kept as the same array while its items
 * are the same objects, and each selection kept on its task (or near where it was).
 */
export function derive(
	state: DashboardState,
	snapshot: Snapshot,
	filter: string,
): Pick<DashboardState, 'snapshot' | 'queue' | 'workers' | 'selection' | 'schedules' | 'scheduleSelection'> {
	const shown = filter === '' ? snapshot.tasks : snapshot.tasks.filter(task => matches(task, filter));
	// Parked tasks go first at the usage limit's reset, so they head the queue, the soonest back first.
	const parked = shown.filter(task => task.status === 'parked').sort((a, b) => byTime(a.parkedUntil ?? '', b.parkedUntil ?? ''));
	const queued = shown.filter(task => task.status === 'queued').sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity));
	const queue = [...parked, ...queued];
	const live = shown.filter(isLive).sort((a, b) => byTime(a.startedAt ?? a.createdAt, b.startedAt ?? b.createdAt));
	const finished = shown
		.filter(task => isTerminal(task.status))
		.sort((a, b) => byTime(b.endedAt ?? b.createdAt, a.endedAt ?? a.createdAt))
		.slice(0, RECENT_FINISHED);
	const lists = {
		queue: sameItems(state.queue, queue) ? state.queue : queue,
		workers: sameItems(state.workers, [...live, ...finished]) ? state.workers : [...live, ...finished],
	};
	const selection = {
		queue: keepSelection(state.queue, lists.queue, state.selection.queue),
		workers: keepSelection(state.workers, lists.workers, state.selection.workers),
	};
	const sameSelection = selection.queue === state.selection.queue && selection.workers === state.selection.workers;
	const incoming = snapshot.schedules ?? state.schedules;
	const schedules = incoming === state.schedules || JSON.stringify(incoming) === JSON.stringify(state.schedules) ? state.schedules : incoming;
	const scheduleSelection = keepSelection(state.schedules, schedules, state.scheduleSelection);
	return {snapshot, ...lists, selection: sameSelection ? state.selection : selection, schedules, scheduleSelection};
}

function matches(task: DashboardTask, filter: string): boolean {
	const needle = filter.toLowerCase();
	return [task.id, task.prompt, task.status, task.cwd, task.priority].some(field => field.toLowerCase().includes(needle));
}

/** The selected task if it is still listed; else the row that took its place; the first row when nothing was selected. */
function keepSelection(before: readonly {id: string}[], after: readonly {id: string}[], id: string | undefined): string | undefined {
	if (after.length === 0) return id;
	if (id !== undefined && after.some(task => task.id === id)) return id;
	const index = id === undefined ? 0 : before.findIndex(task => task.id === id);
	return after[Math.min(Math.max(index, 0), after.length - 1)]!.id;
}

/** Keeps the previous object of every task that did not change, so memoised rows skip re-rendering. */
export function reuseUnchanged(before: readonly DashboardTask[], after: DashboardTask[]): DashboardTask[] {
	if (before.length === 0) return after;
	const known = new Map(before.map(task => [task.id, task]));
	return after.map(task => {
		const previous = known.get(task.id);
		return previous && JSON.stringify(previous) === JSON.stringify(task) ? previous : task;
	});
}

/**
 * The tasks with `changed` put in: a known task is replaced where it is (unless nothing in it changed, so its row
 * keeps its object), a new one joins newest first. Every active task stays; of the finished ones, the newest `keep`.
 */
export function mergeTasks(tasks: DashboardTask[], changed: readonly DashboardTask[], keep: number): DashboardTask[] {
	const byId = new Map(changed.map(task => [task.id, task]));
	let isChanged = false;
	const merged = tasks.map(task => {
		const next = byId.get(task.id);
		if (!next) return task;
		byId.delete(task.id);
		if (JSON.stringify(next) === JSON.stringify(task)) return task;
		isChanged = true;
		return next;
	});
	if (byId.size === 0) return isChanged ? merged : tasks;
	const all = [...byId.values(), ...merged].sort((a, b) => byTime(b.createdAt, a.createdAt));
	let finished = 0;
	return all.filter(task => !isTerminal(task.status) || finished++ < keep);
}

/** The schedules with `changed` put in: replaced where they are, new ones last (the list is oldest first). */
export function mergeSchedules(schedules: readonly DashboardSchedule[], changed: readonly DashboardSchedule[]): readonly DashboardSchedule[] {
	const byId = new Map(changed.map(schedule => [schedule.id, schedule]));
	const merged = schedules.map(schedule => {
		const next = byId.get(schedule.id);
		byId.delete(schedule.id);
		return next ?? schedule;
	});
	return [...merged, ...byId.values()];
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
	return a.length === b.length && a.every((item, i) => item === b[i]);
}

export function sameOutput(a: OutputState | undefined, b: OutputState | undefined): boolean {
	if (a === b) return true;
	if (!a || !b) return false;
	return a.taskId === b.taskId && a.live === b.live && sameItems(a.lines, b.lines);
}
