import {createStore, type StoreApi} from 'zustand/vanilla';
import type {Priority} from '../core/domain/task.js';
import type {InboxState} from './inbox.js';
import type {LimitField, LimitTexts} from './limits.js';
import type {DashboardSchedule, DashboardTask, Snapshot, TaskOutput} from './fleet-source.js';
import {derive, needsInput} from './store-derive.js';

export {isLive, needsInput, RECENT_FINISHED} from './store-derive.js';

/** Panes that take the focus, in tab order: top to bottom, then the two that share the Output pane's place. */
const PANES = ['queue', 'workers', 'output', 'dag', 'schedules'] as const;
export type PaneId = (typeof PANES)[number];
/** Panes that hold a list of tasks to select from. */
export type ListPane = 'queue' | 'workers';
/** Panes that show something about the selected task or the fleet, and share one place when the terminal is small. */
export type ViewPane = 'output' | 'dag' | 'schedules';

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

export type LimitsDraft = {
	/** The limits in force when the form opened: a field still reading the same is not sent. */
	opened: LimitTexts;
	typed: LimitTexts;
	field: LimitField;
	error?: string;
	isSubmitting: boolean;
};

export type Confirmation =
	| {kind: 'cancel'; taskId: string}
	| {kind: 'cancelSchedule'; scheduleId: string}
	| {kind: 'quit'; running: number; isStopping: boolean}
	/** R: what to tell the resumed conversation, typed here (empty is fine). */
	| {kind: 'resume'; taskId: string; text: string};

export type Mode =
	| {kind: 'normal'}
	| {kind: 'help'}
	| {kind: 'details'; taskId: string; scroll: number}
	| {kind: 'form'; draft: NewTaskDraft}
	| {kind: 'limits'; draft: LimitsDraft}
	| {kind: 'confirm'; confirmation: Confirmation}
	| {kind: 'filter'}
	| {kind: 'inbox'; inbox: InboxState};

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
	/** Members of the selected task's family that are too old to be in the snapshot, fetched by id. */
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

function isListPane(pane: PaneId): pane is ListPane {
	return pane === 'queue' || pane === 'workers';
}

// Actions: plain functions, each one setState. What the fleet reports comes in through store-intake.ts. ----------

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
	const current = Math.max(
		0,
		schedules.findIndex(schedule => schedule.id === scheduleSelection),
	);
	const index = step === 'first' ? 0 : step === 'last' ? schedules.length - 1 : Math.min(schedules.length - 1, Math.max(0, current + step));
	if (schedules[index]!.id !== scheduleSelection) store.setState({scheduleSelection: schedules[index]!.id});
}

/** Points the DAG pane at a member of the selected task's family. */
export function setDagCursor(store: DashboardStore, id: string | undefined): void {
	if (store.getState().dagCursor !== id) store.setState({dagCursor: id});
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
