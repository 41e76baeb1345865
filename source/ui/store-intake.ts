import type {FleetCounters} from '../protocol/fleet-changes.js';
import {RECENT_TASKS, type DashboardSchedule, type DashboardTask, type Snapshot} from './fleet-source.js';
import {derive, mergeSchedules, mergeTasks, reuseUnchanged, sameOutput} from './store-derive.js';
import type {DashboardStore, OutputState} from './store.js';

// What the fleet reports, taken into the store: each function is at most one setState, none when nothing changed.

/** Takes in a new snapshot: derives the lists and keeps each selection on its task (or near where it was). */
export function applySnapshot(store: DashboardStore, snapshot: Snapshot): void {
	const state = store.getState();
	const tasks = reuseUnchanged(state.snapshot?.tasks ?? [], snapshot.tasks);
	store.setState({...derive(state, {...snapshot, tasks}, state.filter), connectionError: undefined});
}

export function applySnapshotError(store: DashboardStore, message: string): void {
	if (store.getState().connectionError !== message) store.setState({connectionError: message});
}

/** What the core pushed since the last flush, merged: the newest view of each task and schedule. */
export type PushedChanges = {tasks: DashboardTask[]; schedules: DashboardSchedule[]; fleet?: FleetCounters};

/**
 * Takes in pushed changes: only the changed tasks get new objects, the lists are derived again only when a task
 * changed, and the fleet's counters replace the last ones (its CPU and memory stay until the next snapshot). The time
 * elapsed times are measured to moves to `now` with them once it is `tickMs` old, so a busy fleet needs no render of
 * its own for the clock. Before the first snapshot there is nothing to change, and that snapshot will bring it all.
 */
export function applyChanges(store: DashboardStore, changes: PushedChanges, now: number, tickMs: number): void {
	const state = store.getState();
	const {snapshot} = state;
	if (!snapshot) return;
	const tasks = changes.tasks.length > 0 ? mergeTasks(snapshot.tasks, changes.tasks, RECENT_TASKS) : snapshot.tasks;
	const schedules = changes.schedules.length > 0 ? mergeSchedules(state.schedules, changes.schedules) : state.schedules;
	const fleet = changes.fleet ? {...changes.fleet, system: snapshot.fleet.system} : snapshot.fleet;
	if (tasks === snapshot.tasks && schedules === state.schedules && fleet === snapshot.fleet) return;
	const takenAt = now - snapshot.takenAt >= tickMs ? now : snapshot.takenAt;
	store.setState(derive(state, {...snapshot, tasks, fleet, schedules, takenAt}, state.filter));
}

/** Moves the time elapsed times are measured to, when no snapshot does (the core pushes changes instead). */
export function tickClock(store: DashboardStore, now: number): void {
	const {snapshot} = store.getState();
	if (snapshot && snapshot.takenAt !== now) store.setState({snapshot: {...snapshot, takenAt: now}});
}

/** Puts a task an action returned into the current snapshot, so the result shows before the core says so. */
export function upsertTask(store: DashboardStore, task: DashboardTask): void {
	const state = store.getState();
	if (!state.snapshot) return;
	const exists = state.snapshot.tasks.some(known => known.id === task.id);
	const tasks = exists ? state.snapshot.tasks.map(known => (known.id === task.id ? task : known)) : [task, ...state.snapshot.tasks];
	store.setState(derive(state, {...state.snapshot, tasks}, state.filter));
}

/** Puts a schedule an action returned into the list, so the result shows before the core says so. */
export function upsertSchedule(store: DashboardStore, schedule: DashboardSchedule): void {
	const state = store.getState();
	const schedules = state.schedules.map(known => (known.id === schedule.id ? schedule : known));
	// Into the snapshot too: the lists are derived from it again on the next change, and must not bring the old one back.
	store.setState({schedules, ...(state.snapshot ? {snapshot: {...state.snapshot, schedules}} : {})});
}

/** Moves the clock with it when `tick` says the time shown is a tick old: one frame for both, not two. */
export function applyOutput(store: DashboardStore, output: OutputState | undefined, tick?: {now: number; ms: number}): void {
	const {output: current, snapshot} = store.getState();
	if (sameOutput(current, output)) return;
	if (tick && snapshot && tick.now - snapshot.takenAt >= tick.ms) store.setState({output, snapshot: {...snapshot, takenAt: tick.now}});
	else store.setState({output});
}

/** Takes in the family members fetched by id; nothing changes when they are the same. */
export function applyFamilyExtras(store: DashboardStore, extras: Record<string, DashboardTask>): void {
	const current = store.getState().familyExtras;
	const ids = Object.keys(extras);
	if (ids.length === Object.keys(current).length && ids.every(id => current[id] === extras[id])) return;
	store.setState({familyExtras: extras});
}
