import {familyNodes, familyOf} from '../dag-family.js';
import {dagOrder} from '../dag-layout.js';
import type {Command} from '../keymap.js';
import {limitTexts} from '../limits.js';
import {
	dagTaskId,
	findTask,
	focusPane,
	moveFocus,
	moveScheduleSelection,
	moveSelection,
	scrollOutput,
	selectedSchedule,
	selectedTask,
	selectNextNeedingInput,
	setDagCursor,
	setFilter,
	setMode,
	setStatus,
	type DashboardStore,
} from '../store.js';
import type {ControllerContext} from './context.js';

/** The commands that only move around the dashboard or open a view of it; nothing here calls the fleet. */
export type NavigationCommand = Extract<
	Command,
	'up' | 'down' | 'first' | 'last' | 'dag' | 'schedules' | 'nextPane' | 'previousPane' | 'nextNeedsInput' | 'details' | 'newTask' | 'limits' | 'filter' | 'help' | 'back'
>;

const NAVIGATION: ReadonlySet<Command> = new Set<NavigationCommand>([
	'up',
	'down',
	'first',
	'last',
	'dag',
	'schedules',
	'nextPane',
	'previousPane',
	'nextNeedsInput',
	'details',
	'newTask',
	'limits',
	'filter',
	'help',
	'back',
]);

export function isNavigation(command: Command): command is NavigationCommand {
	return NAVIGATION.has(command);
}

export function navigate(context: ControllerContext, command: NavigationCommand): void {
	const {store, deps} = context;
	const state = store.getState();
	switch (command) {
		case 'up':
		case 'down':
		case 'first':
		case 'last': {
			const step = command === 'up' ? -1 : command === 'down' ? 1 : command;
			if (state.focus === 'output') {
				// Scrolling back means more lines above the bottom.
				scrollOutput(store, command === 'up' ? 1 : command === 'down' ? -1 : command === 'first' ? 'top' : 'bottom');
			} else if (state.focus === 'dag') {
				moveDagCursor(store, step);
			} else if (state.focus === 'schedules') {
				moveScheduleSelection(store, step);
			} else {
				moveSelection(store, step);
			}
			return;
		}
		case 'dag':
		case 'schedules':
			focusPane(store, command);
			return;
		case 'nextPane':
			moveFocus(store, 1);
			return;
		case 'previousPane':
			moveFocus(store, -1);
			return;
		case 'nextNeedsInput': {
			const task = selectNextNeedingInput(store);
			if (task) setStatus(store, `${task.id} waits for an answer: ${task.question?.question ?? 'a permission prompt'}  (y approve · n deny)`);
			else setStatus(store, 'No worker needs input.');
			return;
		}
		case 'details': {
			if (state.focus === 'schedules') {
				const schedule = selectedSchedule(state);
				if (schedule) setStatus(store, `${schedule.id}: ${schedule.task.prompt}${schedule.lastRun?.taskId ? ` · last task ${schedule.lastRun.taskId}` : ''}`);
				return;
			}
			if (state.focus === 'dag') {
				const id = dagTaskId(state);
				if (id && findTask(state, id)) setMode(store, {kind: 'details', taskId: id, scroll: 0});
				return;
			}
			const task = context.requireSelected('look at');
			if (task) setMode(store, {kind: 'details', taskId: task.id, scroll: 0});
			return;
		}
		case 'newTask':
			setMode(store, {kind: 'form', draft: {prompt: '', cwd: deps.defaultCwd, priority: 'P1', dependsOn: '', field: 'prompt', isSubmitting: false}});
			return;
		case 'limits': {
			const admission = state.snapshot?.fleet.admission;
			if (!admission) {
				setStatus(store, 'The limits show once the core has answered.', 'error');
				return;
			}
			const texts = limitTexts(admission);
			setMode(store, {kind: 'limits', draft: {opened: texts, typed: texts, field: 'dailyBudgetUsd', isSubmitting: false}});
			return;
		}
		case 'filter':
			setMode(store, {kind: 'filter'});
			return;
		case 'help':
			setMode(store, {kind: 'help'});
			return;
		case 'back':
			if (state.filter !== '') setFilter(store, '');
			else if (state.outputScroll > 0) scrollOutput(store, 'bottom');
			return;
	}
}

/** Moves the DAG pane's pointer through the family in the order the pane draws it. */
function moveDagCursor(store: DashboardStore, step: number | 'first' | 'last'): void {
	const state = store.getState();
	const selected = selectedTask(state);
	if (!selected) return;
	const order = dagOrder(familyNodes(familyOf(state.snapshot?.tasks ?? [], state.familyExtras, selected.id).members));
	if (order.length === 0) return;
	const current = Math.max(0, order.indexOf(dagTaskId(state) ?? selected.id));
	const index = step === 'first' ? 0 : step === 'last' ? order.length - 1 : Math.min(order.length - 1, Math.max(0, current + step));
	setDagCursor(store, order[index] === selected.id ? undefined : order[index]);
}
