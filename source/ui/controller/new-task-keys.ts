import type {Key} from 'ink';
import {PRIORITIES, type Priority} from '../../core/domain/task.js';
import {checkTaskSpec} from '../../core/domain/task-input.js';
import type {TaskSpec} from '../../core/domain/task-spec.js';
import {FORM_FIELDS, select, setMode, setStatus, type FormField, type NewTaskDraft} from '../store.js';
import type {ControllerContext} from './context.js';
import {messageOf} from '../../core/domain/errors.js';

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

/**
 * The draft as a task spec, checked as the fleet will check it, so that a mistake is shown on its field before
 * anything is sent.
 */
function specOfDraft(draft: NewTaskDraft, homeDirectory: string | undefined): {spec: TaskSpec} | {error: string; field: FormField} {
	const prompt = draft.prompt.trim();
	let cwd = draft.cwd.trim();
	if (homeDirectory && (cwd === '~' || cwd.startsWith('~/'))) cwd = homeDirectory + cwd.slice(1);
	if (prompt === '') return {error: 'Write what the worker should do.', field: 'prompt'};
	if (!cwd.startsWith('/')) return {error: 'The directory must be an absolute path.', field: 'cwd'};
	const dependsOn = draft.dependsOn.split(/[\s,]+/).filter(Boolean);
	try {
		return {spec: checkTaskSpec({prompt, cwd, priority: draft.priority, ...(dependsOn.length ? {dependsOn} : {})})};
	} catch (error) {
		return {error: messageOf(error), field: dependsOn.length ? 'dependsOn' : 'prompt'};
	}
}

/** Checks the draft, hands it to the fleet, and selects the new task; a refusal stays in the form, on the field at fault. */
async function submit(context: ControllerContext, draft: NewTaskDraft): Promise<void> {
	const {store, deps} = context;
	const checked = specOfDraft(draft, deps.homeDirectory);
	if ('error' in checked) {
		setMode(store, {kind: 'form', draft: {...draft, error: checked.error, field: checked.field}});
		return;
	}
	setMode(store, {kind: 'form', draft: {...draft, isSubmitting: true, error: undefined}});
	try {
		const task = await context.source.delegate(checked.spec);
		setMode(store, {kind: 'normal'});
		context.results.task(task);
		if (task.status === 'queued') select(store, 'queue', task.id);
		setStatus(store, `${task.id} is ${task.status}${task.queuePosition ? `, #${task.queuePosition} in the queue` : ''}.`, 'success');
		context.results.changed();
	} catch (error) {
		setMode(store, {kind: 'form', draft: {...draft, isSubmitting: false, error: messageOf(error)}});
	}
}
