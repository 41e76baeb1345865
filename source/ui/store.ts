import {createStore, type StoreApi} from 'zustand/vanilla';
import {isTerminal, type Priority} from '../core/domain/task.js';
import type {DashboardSchedule, DashboardTask, Snapshot, TaskOutput} from './fleet-source.js';

/** Panes that take the focus, in tab order: top to bottom, then the two that share the Output pane's place. */
export const PANES = ['queue', 'workers', 'output', 'dag', 'schedules'] as const;
export type PaneId = (typeof PANES)[number];
/** Panes that hold a list of tasks to select from. */
export type ListPane = 'queue' | 'workers';
/** Panes that show something about the selected task or the fleet, and share one place when the terminal is small. */
export type ViewPane = 'output' | 'dag' | 'schedules';

/** Finished tasks the Workers pane keeps below the live ones, so that they can be read, retried and resumed. */
export const RECENT_FINISHED = 50;
/** How long a status message stays in the status bar, measured in snapshot time (no timer needed). */
export const STATUS_MESSAGE_MS = 8000;

export type FormField = 'prompt' | 'cwd' | 'priority' | 'dependsOn';
export const FORM_FIELDS: readonly FormField[] = ['prompt', 'cwd', 'priority', 'dependsOn'];

export type NewTaskDraft = {
	prompt: string;
	cwd: string;
	priority: Priority;
	/** Task ids, separated by commas or spaces. */
	dependsOn: string;
	field: FormField;
	error?: string;
	isSubmitting: boolean;
};

export type Confirmation =
	| {kind: 'cancel'; taskId: string}
	| {kind: 'cancelSchedule'; scheduleId: string}
	| {kind: 'quit'; running: number; isStopping: boolean};

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
	/** Which of Output, DAG and Schedules a small terminal shows in their shared place: the one focused last. */
	view: ViewPane;
	/** Every schedule, from the snapshot; kept as the same array while nothing in it changes. */
	schedules: readonly DashboardSchedule[];
	/** The selected schedule; kept by id across snapshots. */
	scheduleSelection?: string;
	/** The family member the DAG pane points at after j/k there; unset, it points at the selected task. */
	dagCursor?: string;
	/** Members of the selected task's family that are too old to be in the snapshot, fetched by the poller. */
	familyExtras: Readonly<Record<string, DashboardTask>>;
	/** A line the header shows first, always (the demo says what it is). */
	banner?: string;
	/** The core lives and dies with this dashboard (the demo): quitting stops everything, there is no background. */
	isEphemeralCore?: boolean;
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
		view: 'output',
		schedules: [],
		familyExtras: {},
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
	return state.snapshot?.tasks.find(task => task.id === id) ?? state.familyExtras[id];
}

/** The task the DAG pane points at: the family member j/k moved to there, else the selected task. */
export function dagTaskId(state: DashboardState): string | undefined {
	return state.dagCursor ?? selectedTask(state)?.id;
}

export function selectedSchedule(state: DashboardState): DashboardSchedule | undefined {
	return state.schedules.find(schedule => schedule.id === state.scheduleSelection);
}

export function isListPane(pane: PaneId): pane is ListPane {
	return pane === 'queue' || pane === 'workers';
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
	focusPane(store, PANES[(PANES.indexOf(focus) + step + PANES.length) % PANES.length]!);
}

/** Gives a pane the focus: a list becomes the active list, a view takes the shared place of a small terminal. */
export function focusPane(store: DashboardStore, pane: PaneId): void {
	const {activeList} = store.getState();
	if (!isListPane(pane)) store.setState({focus: pane, view: pane});
	else if (pane === activeList) store.setState({focus: pane});
	// Another list means another selected task, and so another family in the DAG pane.
	else store.setState({focus: pane, activeList: pane, dagCursor: undefined});
}

/** Moves the schedule selection by `step` rows, or to the first or last schedule. */
export function moveScheduleSelection(store: DashboardStore, step: number | 'first' | 'last'): void {
	const {schedules, scheduleSelection} = store.getState();
	if (schedules.length === 0) return;
	const current = Math.max(0, schedules.findIndex(schedule => schedule.id === scheduleSelection));
	const index = step === 'first' ? 0 : step === 'last' ? schedules.length - 1 : Math.min(schedules.length - 1, Math.max(0, current + step));
	if (schedules[index]!.id !== scheduleSelection) store.setState({scheduleSelection: schedules[index]!.id});
}

/** Puts a schedule an action returned into the list, so the result shows before the next snapshot. */
export function upsertSchedule(store: DashboardStore, schedule: DashboardSchedule): void {
	const {schedules} = store.getState();
	store.setState({schedules: schedules.map(known => (known.id === schedule.id ? schedule : known))});
}

/** Points the DAG pane at a member of the selected task's family. */
export function setDagCursor(store: DashboardStore, id: string | undefined): void {
	if (store.getState().dagCursor !== id) store.setState({dagCursor: id});
}

/** Takes in the family members the poller fetched by id; nothing changes when they are the same. */
export function applyFamilyExtras(store: DashboardStore, extras: Record<string, DashboardTask>): void {
	const current = store.getState().familyExtras;
	const ids = Object.keys(extras);
	if (ids.length === Object.keys(current).length && ids.every(id => current[id] === extras[id])) return;
	store.setState({familyExtras: extras});
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
	const focus = isListPane(state.focus) ? pane : state.focus;
	if (state.selection[pane] === id && state.activeList === pane && state.focus === focus) return;
	store.setState({selection: {...state.selection, [pane]: id}, activeList: pane, focus, outputScroll: 0, dagCursor: undefined});
}

/** Focuses the Workers pane on the next task (after the selected one, wrapping) whose worker waits for an answer. */
export function selectNextNeedingInput(store: DashboardStore): DashboardTask | undefined {
	const state = store.getState();
	const waiting = state.workers.filter(needsInput);
	if (waiting.length === 0) return undefined;
	const currentIndex = state.activeList === 'workers' ? state.workers.findIndex(task => task.id === state.selection.workers) : -1;
	const next = waiting.find(task => state.workers.indexOf(task) > currentIndex) ?? waiting[0]!;
	store.setState({selection: {...state.selection, workers: next.id}, activeList: 'workers', focus: 'workers', outputScroll: 0, dagCursor: undefined});
	return next;
}

export function scrollOutput(store: DashboardStore, step: number | 'top' | 'bottom'): void {
	const state = store.getState();
	const max = Math.max(0, (state.output?.lines.length ?? 0) - 1);
	const next = step === 'top' ? max : step === 'bottom' ? 0 : Math.min(max, Math.max(0, state.outputScroll + step));
	if (next !== state.outputScroll) store.setState({outputScroll: next});
}

// Derivation. -------------------------------------------------------------------------------------

function derive(
	state: DashboardState,
	snapshot: Snapshot,
	filter: string,
): Pick<DashboardState, 'snapshot' | 'queue' | 'workers' | 'selection' | 'schedules' | 'scheduleSelection'> {
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
	const incoming = snapshot.schedules ?? state.schedules;
	const schedules = JSON.stringify(incoming) === JSON.stringify(state.schedules) ? state.schedules : incoming;
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
