import type {Key} from 'ink';
import {PRIORITIES, type Priority} from '../../core/domain/task.js';
import {FORM_FIELDS, select, setMode, setStatus, type NewTaskDraft} from '../store.js';
import type {ControllerContext} from './context.js';

/** Keys in the new-task form: typing into the focused field, moving between fields, submitting, leaving. */
export function handleFormKey(context: ControllerContext, input: string, key: Key): void {
	const {store} = context;
	const {mode} = store.getState();
	if (mode.kind !== 'form') return;
	const {draft} = mode;
	if (draft.isSubmitting) return;
	const update = (changes: Partial<NewTaskDraft>) => setMode(store, {kind: 'form', draft: {...draft, ...changes}});
	const fieldIndex = FORM_FIELDS.indexOf(draft.field);
	if (key.escape) {
		setMode(store, {kind: 'normal'});
		return;
	}
	if (key.return) {
		void submit(context, draft);
		return;
	}
	if (key.tab || key.downArrow || key.upArrow) {
		const step = (key.tab && key.shift) || key.upArrow ? -1 : 1;
		update({field: FORM_FIELDS[(fieldIndex + step + FORM_FIELDS.length) % FORM_FIELDS.length]!});
		return;
	}
	if (draft.field === 'priority') {
		const index = PRIORITIES.indexOf(draft.priority);
		if (key.leftArrow || input === '+') update({priority: PRIORITIES[Math.max(0, index - 1)]!});
		else if (key.rightArrow || input === '-') update({priority: PRIORITIES[Math.min(PRIORITIES.length - 1, index + 1)]!});
		else if (/^[0-2]$/.test(input)) update({priority: `P${input}` as Priority});
		return;
	}
	const field = draft.field;
	if (key.backspace || key.delete) {
		update({[field]: [...draft[field]].slice(0, -1).join(''), error: undefined});
		return;
	}
	if (key.ctrl && input === 'u') {
		update({[field]: '', error: undefined});
		return;
	}
	if (key.ctrl || key.meta || input === '') return;
	// A paste arrives as one string; a directory is one line, a prompt keeps its line breaks.
	const typed = field === 'prompt' ? input.replace(/\r\n?/g, '\n') : input.replace(/[\r\n]+/g, '');
	update({[field]: draft[field] + typed, error: undefined});
}

/** Checks the draft, hands it to the fleet, and selects the new task; a refusal stays in the form, on the field at fault. */
async function submit(context: ControllerContext, draft: NewTaskDraft): Promise<void> {
	const {store, deps} = context;
	const prompt = draft.prompt.trim();
	let cwd = draft.cwd.trim();
	if (deps.homeDirectory && (cwd === '~' || cwd.startsWith('~/'))) cwd = deps.homeDirectory + cwd.slice(1);
	const refuse = (error: string, field: NewTaskDraft['field']) => setMode(store, {kind: 'form', draft: {...draft, error, field}});
	if (prompt === '') return refuse('Write what the worker should do.', 'prompt');
	if (!cwd.startsWith('/')) return refuse('The directory must be an absolute path.', 'cwd');
	setMode(store, {kind: 'form', draft: {...draft, isSubmitting: true, error: undefined}});
	try {
		const dependsOn = draft.dependsOn.split(/[\s,]+/).filter(Boolean);
		const task = await context.source.delegate({prompt, cwd, priority: draft.priority, ...(dependsOn.length ? {dependsOn} : {})});
		setMode(store, {kind: 'normal'});
		context.results.task(task);
		if (task.status === 'queued') select(store, 'queue', task.id);
		setStatus(store, `${task.id} is ${task.status}${task.queuePosition ? `, #${task.queuePosition} in the queue` : ''}.`, 'success');
		context.results.changed();
	} catch (error) {
		setMode(store, {kind: 'form', draft: {...draft, isSubmitting: false, error: error instanceof Error ? error.message : String(error)}});
	}
}
