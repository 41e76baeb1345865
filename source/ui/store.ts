import {createStore, type StoreApi} from 'zustand/vanilla';
import {isTerminal, type Priority} from '../core/domain/task.js';
import type {DashboardTask, Snapshot, TaskOutput} from './fleet-source.js';

/** Panes that take the focus, in tab order. DAG and Schedules join this list when they are built. */
export const PANES = ['queue', 'workers', 'output'] as const;
export type PaneId = (typeof PANES)[number];
/** Panes that hold a list of tasks to select from. */
export type ListPane = 'queue' | 'workers';

/** Finished tasks the Workers pane keeps below the live ones, so that they can be read, retried and resumed. */
export const RECENT_FINISHED = 50;
/** How long a status message stays in the status bar, measured in snapshot time (no timer needed). */
export const STATUS_MESSAGE_MS = 8000;

export type FormField = 'prompt' | 'cwd' | 'priority';
export const FORM_FIELDS: readonly FormField[] = ['prompt', 'cwd', 'priority'];

export type NewTaskDraft = {
	prompt: string;
	cwd: string;
	priority: Priority;
	field: FormField;
	error?: string;
	isSubmitting: boolean;
};

export type Confirmation = {kind: 'cancel'; taskId: string} | {kind: 'quit'; running: number; isStopping: boolean};

export type Mode =
	| {kind: 'normal'}
	| {kind: 'help'}
	| {kind: 'details'; taskId: string; scroll: number}
	| {kind: 'form'; draft: NewTaskDraft}
	| {kind: 'confirm'; confirmation: Confirmation}
	| {kind: 'filter'};

export type StatusMessage = {text: string; tone: 'info' | 'success' | 'error'; at: number};

export type OutputState = TaskOutput & {taskId: string};

export type DashboardState = {
	snapshot?: Snapshot;
	/** The Queue pane's tasks in queue order, filtered. Recomputed only on a snapshot or a filter change, so selectors get stable arrays. */
	queue: readonly DashboardTask[];
	/** The Workers pane: live workers first (oldest start first), then recently finished tasks (newest first); filtered. */
	workers: readonly DashboardTask[];
	/** Selected task id per list; kept by id across snapshots. */
	selection: Record<ListPane, string | undefined>;
	/** The list whose selection the Output pane and the task commands follow (the last focused list). */
	activeList: ListPane;
	focus: PaneId;
	mode: Mode;
	filter: string;
	output?: OutputState;
	/** Lines scrolled back from the bottom of the Output pane; 0 follows the output. */
	outputScroll: number;
	status?: StatusMessage;
	/** Why the last snapshot failed, until one succeeds. */
	connectionError?: string;
};

export type DashboardStore = StoreApi<DashboardState>;

export function createDashboardStore(initial: Partial<DashboardState> = {}): DashboardStore {
	return createStore<DashboardState>()(() => ({
		queue: [],
		workers: [],
		selection: {queue: undefined, workers: undefined},
		activeList: 'workers',
		focus: 'workers',
		mode: {kind: 'normal'},
		filter: '',
		outputScroll: 0,
		...initial,
	}));
}

// Selectors: pure functions of state. -----------------------------------------------------------

export function selectedTask(state: DashboardState): DashboardTask | undefined {
	const id = state.selection[state.activeList];
	if (id === undefined) return undefined;
	return state[state.activeList].find(task => task.id === id);
}

export function findTask(state: DashboardState, id: string): DashboardTask | undefined {
	return state.snapshot?.tasks.find(task => task.id === id);
}

/** Whether the task has a worker (running or waiting for an answer). */
export function isLive(task: DashboardTask): boolean {
	return task.status === 'running' || task.status === 'needs_input';
}

export function needsInput(task: DashboardTask): boolean {
	return task.status === 'needs_input' || task.workerState === 'needs_input';
}

// Actions: plain functions, each one setState. ---------------------------------------------------

/** Takes in a new snapshot: derives the lists and keeps each selection on its task (or near where it was). */
export function applySnapshot(store: DashboardStore, snapshot: Snapshot): void {
	const state = store.getState();
	const tasks = reuseUnchanged(state.snapshot?.tasks ?? [], snapshot.tasks);
	store.setState({...derive(state, {...snapshot, tasks}, state.filter), connectionError: undefined});
}

export function applySnapshotError(store: DashboardStore, message: string): void {
	if (store.getState().connectionError !== message) store.setState({connectionError: message});
}

/** Puts a task an action returned into the current snapshot, so the result shows before the next snapshot. */
export function upsertTask(store: DashboardStore, task: DashboardTask): void {
	const state = store.getState();
	if (!state.snapshot) return;
	const exists = state.snapshot.tasks.some(known => known.id === task.id);
	const tasks = exists ? state.snapshot.tasks.map(known => (known.id === task.id ? task : known)) : [task, ...state.snapshot.tasks];
	store.setState(derive(state, {...state.snapshot, tasks}, state.filter));
}

export function applyOutput(store: DashboardStore, output: OutputState | undefined): void {
	const current = store.getState().output;
	if (sameOutput(current, output)) return;
	store.setState({output});
}

export function setFilter(store: DashboardStore, filter: string): void {
	const state = store.getState();
	if (!state.snapshot) {
		store.setState({filter});
		return;
	}
	store.setState({...derive(state, state.snapshot, filter), filter});
}

export function setMode(store: DashboardStore, mode: Mode): void {
	store.setState({mode});
}

export function setStatus(store: DashboardStore, text: string, tone: StatusMessage['tone'] = 'info'): void {
	store.setState({status: {text, tone, at: store.getState().snapshot?.takenAt ?? 0}});
}

/** Moves the focus by `step` panes (tab order, wrapping). A list pane that gets the focus becomes the active list. */
export function moveFocus(store: DashboardStore, step: number): void {
	const {focus} = store.getState();
	const next = PANES[(PANES.indexOf(focus) + step + PANES.length) % PANES.length]!;
	store.setState(next === 'output' ? {focus: next} : {focus: next, activeList: next});
}

/** Moves the selection of the active list by `step` rows, or to its first or last row. */
export function moveSelection(store: DashboardStore, step: number | 'first' | 'last'): void {
	const state = store.getState();
	const list = state[state.activeList];
	if (list.length === 0) return;
	const current = list.findIndex(task => task.id === state.selection[state.activeList]);
	const index = step === 'first' ? 0 : step === 'last' ? list.length - 1 : Math.min(list.length - 1, Math.max(0, (current < 0 ? 0 : current) + step));
	select(store, state.activeList, list[index]!.id);
}

/** Selects a task in a list and makes that list the active one (and the focused one, unless Output has the focus). */
export function select(store: DashboardStore, pane: ListPane, id: string): void {
	const state = store.getState();
	const focus = state.focus === 'output' ? 'output' : pane;
	if (state.selection[pane] === id && state.activeList === pane && state.focus === focus) return;
	store.setState({selection: {...state.selection, [pane]: id}, activeList: pane, focus, outputScroll: 0});
}

/** Focuses the Workers pane on the next task (after the selected one, wrapping) whose worker waits for an answer. */
export function selectNextNeedingInput(store: DashboardStore): DashboardTask | undefined {
	const state = store.getState();
	const waiting = state.workers.filter(needsInput);
	if (waiting.length === 0) return undefined;
	const currentIndex = state.activeList === 'workers' ? state.workers.findIndex(task => task.id === state.selection.workers) : -1;
	const next = waiting.find(task => state.workers.indexOf(task) > currentIndex) ?? waiting[0]!;
	store.setState({selection: {...state.selection, workers: next.id}, activeList: 'workers', focus: 'workers', outputScroll: 0});
	return next;
}

export function scrollOutput(store: DashboardStore, step: number | 'top' | 'bottom'): void {
	const state = store.getState();
	const max = Math.max(0, (state.output?.lines.length ?? 0) - 1);
	const next = step === 'top' ? max : step === 'bottom' ? 0 : Math.min(max, Math.max(0, state.outputScroll + step));
	if (next !== state.outputScroll) store.setState({outputScroll: next});
}

// Derivation. -------------------------------------------------------------------------------------

function derive(state: DashboardState, snapshot: Snapshot, filter: string): Pick<DashboardState, 'snapshot' | 'queue' | 'workers' | 'selection'> {
	const shown = filter === '' ? snapshot.tasks : snapshot.tasks.filter(task => matches(task, filter));
	const queue = shown.filter(task => task.status === 'queued').sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity));
	const live = shown.filter(isLive).sort((a, b) => Date.parse(a.startedAt ?? a.createdAt) - Date.parse(b.startedAt ?? b.createdAt));
	const finished = shown
		.filter(task => isTerminal(task.status))
		.sort((a, b) => Date.parse(b.endedAt ?? b.createdAt) - Date.parse(a.endedAt ?? a.createdAt))
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
	return {snapshot, ...lists, selection: sameSelection ? state.selection : selection};
}

function matches(task: DashboardTask, filter: string): boolean {
	const needle = filter.toLowerCase();
	return [task.id, task.prompt, task.status, task.cwd, task.priority].some(field => field.toLowerCase().includes(needle));
}

/** The selected task if it is still listed; else the row that took its place; the first row when nothing was selected. */
function keepSelection(before: readonly DashboardTask[], after: readonly DashboardTask[], id: string | undefined): string | undefined {
	if (after.length === 0) return id;
	if (id !== undefined && after.some(task => task.id === id)) return id;
	const index = id === undefined ? 0 : before.findIndex(task => task.id === id);
	return after[Math.min(Math.max(index, 0), after.length - 1)]!.id;
}

/** Keeps the previous object of every task that did not change, so memoised rows skip re-rendering. */
function reuseUnchanged(before: readonly DashboardTask[], after: DashboardTask[]): DashboardTask[] {
	if (before.length === 0) return after;
	const known = new Map(before.map(task => [task.id, task]));
	return after.map(task => {
		const previous = known.get(task.id);
		return previous && JSON.stringify(previous) === JSON.stringify(task) ? previous : task;
	});
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
	return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameOutput(a: OutputState | undefined, b: OutputState | undefined): boolean {
	if (a === b) return true;
	if (!a || !b) return false;
	return a.taskId === b.taskId && a.live === b.live && sameItems(a.lines, b.lines);
}
