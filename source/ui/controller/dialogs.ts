import type {Key} from 'ink';
import {findTask, setFilter, setMode, setStatus} from '../store.js';
import type {ControllerContext} from './context.js';
import {cancelSchedule} from './schedule-actions.js';
import {cancelTask, cancelWorkflow, resumeTask, stopAndQuit} from './task-actions.js';

/** Keys while a question is asked: cancel a task, cancel a schedule, resume a task (with what to add), or quit with workers running. */
export function handleConfirmKey(context: ControllerContext, input: string, key: Key): void {
	const {store} = context;
	const {mode} = store.getState();
	if (mode.kind !== 'confirm') return;
	const {confirmation} = mode;
	const isNo = input === 'n' || key.escape || input === 'q';
	switch (confirmation.kind) {
		case 'cancel': {
			const workflowId = findTask(store.getState(), confirmation.taskId)?.workflow?.id;
			if (input === 'y') {
				setMode(store, {kind: 'normal'});
				void cancelTask(context, confirmation.taskId);
			} else if (input === 'w' && workflowId) {
				setMode(store, {kind: 'normal'});
				void cancelWorkflow(context, workflowId);
			} else if (isNo) {
				setMode(store, {kind: 'normal'});
				setStatus(store, `${confirmation.taskId} keeps running.`);
			}
			return;
		}
		case 'cancelSchedule':
			if (input === 'y') {
				setMode(store, {kind: 'normal'});
				void cancelSchedule(context, confirmation.scheduleId);
			} else if (isNo) {
				setMode(store, {kind: 'normal'});
				setStatus(store, `Schedule ${confirmation.scheduleId} stays.`);
			}
			return;
		case 'resume':
			if (key.return) {
				setMode(store, {kind: 'normal'});
				void resumeTask(context, confirmation.taskId, confirmation.text);
			} else if (key.escape) {
				setMode(store, {kind: 'normal'});
				setStatus(store, `${confirmation.taskId} was not resumed.`);
			} else if (key.backspace || key.delete) {
				setMode(store, {kind: 'confirm', confirmation: {...confirmation, text: [...confirmation.text].slice(0, -1).join('')}});
			} else if (!key.ctrl && !key.meta && input !== '') {
				setMode(store, {kind: 'confirm', confirmation: {...confirmation, text: confirmation.text + input.replace(/[\r\n]+/g, ' ')}});
			}
			return;
		case 'quit':
			if (confirmation.isStopping) return;
			if (input === 's') void stopAndQuit(context);
			else if (input === 'l' || input === 'q' || (key.ctrl && input === 'c')) context.deps.exit('leave');
			else if (key.escape || input === 'n') setMode(store, {kind: 'normal'});
			return;
	}
}

/**
 * Keys in a task's details: scroll, close, or answer, cancel, retry or resume right there (`passOn` gets y, n, c, r and R as if typed in
 * the normal mode: acting right after reading the question is what the details are for).
 */
export function handleDetailsKey(context: ControllerContext, input: string, key: Key, passOn: (input: string, key: Key) => void): void {
	const {store} = context;
	const {mode} = store.getState();
	if (mode.kind !== 'details') return;
	if (key.escape || key.return || input === 'q') setMode(store, {kind: 'normal'});
	else if (key.downArrow || input === 'j') setMode(store, {...mode, scroll: mode.scroll + 1});
	else if (key.upArrow || input === 'k') setMode(store, {...mode, scroll: Math.max(0, mode.scroll - 1)});
	else if (['y', 'n', 'c', 'r', 'R'].includes(input)) {
		setMode(store, {kind: 'normal'});
		passOn(input, key);
	}
}

export function handleHelpKey(context: ControllerContext, input: string, key: Key): void {
	if (key.escape || key.return || input === '?' || input === 'q') setMode(context.store, {kind: 'normal'});
}

/** Keys while the filter is typed: it applies as it is typed; enter keeps it, escape clears it. */
export function handleFilterKey(context: ControllerContext, input: string, key: Key): void {
	const {store} = context;
	const {filter} = store.getState();
	if (key.escape) {
		setFilter(store, '');
		setMode(store, {kind: 'normal'});
	} else if (key.return || key.tab) {
		setMode(store, {kind: 'normal'});
	} else if (key.backspace || key.delete) {
		setFilter(store, [...filter].slice(0, -1).join(''));
	} else if (!key.ctrl && !key.meta && input !== '') {
		setFilter(store, filter + input.replace(/[\r\n]+/g, ' '));
	}
}
