import type {Key} from 'ink';
import {isTerminal, PRIORITIES, type Priority} from '../core/domain/task.js';
import {familyNodes, familyOf} from './dag-family.js';
import {dagOrder} from './dag-layout.js';
import type {FleetSource} from './fleet-source.js';
import {resolveCommand, type Command} from './keymap.js';
import {
	findTask,
	focusPane,
	FORM_FIELDS,
	isLive,
	moveFocus,
	moveScheduleSelection,
	moveSelection,
	needsInput,
	scrollOutput,
	select,
	selectedSchedule,
	selectedTask,
	selectNextNeedingInput,
	setDagCursor,
	setFilter,
	setMode,
	setStatus,
	upsertSchedule,
	upsertTask,
	dagTaskId,
	type DashboardStore,
	type NewTaskDraft,
} from './store.js';

/** How the person left: with the running workers stopped, or left running in the background core. */
export type QuitChoice = 'stop' | 'leave';

export type ControllerDeps = {
	store: DashboardStore;
	source: FleetSource;
	/** Ends the dashboard. */
	exit: (choice: QuitChoice) => void;
	/** Hands the terminal to a worker's own screen; the dashboard comes back after Ctrl-]. */
	attach?: (taskId: string) => void;
	/** Asks for a fresh snapshot soon (after an action changed the fleet). */
	refresh?: () => void;
	/** The directory a new task gets unless the person types another. */
	defaultCwd: string;
	/** For `~` in a typed directory. */
	homeDirectory?: string;
};

export type Controller = {
	handleKey(input: string, key: Key): void;
	/** Runs a normal-mode command; resolves when its action (if any) has answered. Never rejects. */
	run(command: Command): Promise<void>;
};

const CANCEL_REASON = 'cancelled from the dashboard';
const SCHEDULES_HINT = 'Press s for the Schedules pane; there p pauses or resumes the selected schedule and c cancels it.';

const STOP_REASON = 'stopped from the dashboard on quit';
const DENY_MESSAGE = 'The user denied this from the ccfleet dashboard.';

/**
 * Turns keys into store changes and fleet actions. It is the dashboard's only caller of the FleetSource's actions,
 * which keeps the components pure; every failure ends in the status bar, never in an exception.
 */
export function createController(deps: ControllerDeps): Controller {
	const {store, source} = deps;

	const act = async (what: () => Promise<void>) => {
		try {
			await what();
		} catch (error) {
			setStatus(store, error instanceof Error ? error.message : String(error), 'error');
		}
	};

	const requireSelected = (verb: string) => {
		const task = selectedTask(store.getState());
		if (!task) setStatus(store, `Select a task to ${verb} first.`, 'error');
		return task;
	};

	const run = async (command: Command): Promise<void> => {
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
					moveDagCursor(step);
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
			case 'pauseSchedule': {
				if (state.focus !== 'schedules') {
					setStatus(store, SCHEDULES_HINT);
					return;
				}
				const schedule = selectedSchedule(state);
				if (!schedule) {
					setStatus(store, 'There is no schedule to pause.', 'error');
					return;
				}
				if (schedule.status !== 'active' && schedule.status !== 'paused') {
					setStatus(store, `Schedule ${schedule.id} is ${schedule.status}; only an active one pauses and a paused one resumes.`, 'error');
					return;
				}
				await act(async () => {
					const changed = schedule.status === 'active' ? await source.pauseSchedule(schedule.id) : await source.resumeSchedule(schedule.id);
					upsertSchedule(store, changed);
					setStatus(store, `Schedule ${schedule.id} is ${changed.status}${changed.nextRunLocal ? `; next run ${changed.nextRunLocal}` : ''}.`, 'success');
					deps.refresh?.();
				});
				return;
			}
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
				const task = requireSelected('look at');
				if (task) setMode(store, {kind: 'details', taskId: task.id, scroll: 0});
				return;
			}
			case 'approve':
			case 'deny': {
				const task = requireSelected(command);
				if (!task) return;
				if (!needsInput(task)) {
					setStatus(store, `${task.id} is ${task.status}; it waits for no answer.`, 'error');
					return;
				}
				const what = task.question?.toolName ?? 'the request';
				await act(async () => {
					const changed = await source.respond(task.id, command === 'approve' ? {action: 'approve'} : {action: 'deny', message: DENY_MESSAGE});
					upsertTask(store, changed);
					setStatus(store, `${command === 'approve' ? 'Approved' : 'Denied'} ${what} for ${task.id}.`, 'success');
					deps.refresh?.();
				});
				return;
			}
			case 'newTask':
				setMode(store, {kind: 'form', draft: {prompt: '', cwd: deps.defaultCwd, priority: 'P1', dependsOn: '', field: 'prompt', isSubmitting: false}});
				return;
			case 'cancel': {
				if (state.focus === 'schedules') {
					const schedule = selectedSchedule(state);
					if (!schedule) setStatus(store, 'There is no schedule to cancel.', 'error');
					else if (schedule.status === 'cancelled' || schedule.status === 'completed')
						setStatus(store, `Schedule ${schedule.id} has ended (${schedule.status}); there is nothing to cancel.`, 'error');
					else setMode(store, {kind: 'confirm', confirmation: {kind: 'cancelSchedule', scheduleId: schedule.id}});
					return;
				}
				const task = requireSelected('cancel');
				if (!task) return;
				if (isTerminal(task.status)) {
					setStatus(store, `${task.id} has ended (${task.status}); there is nothing to cancel.`, 'error');
					return;
				}
				setMode(store, {kind: 'confirm', confirmation: {kind: 'cancel', taskId: task.id}});
				return;
			}
			case 'retry':
			case 'resume': {
				const task = requireSelected(command);
				if (!task) return;
				if (!isTerminal(task.status)) {
					setStatus(store, `${task.id} is ${task.status}; only a finished task can be ${command === 'retry' ? 'retried' : 'resumed'}.`, 'error');
					return;
				}
				await act(async () => {
					const created = command === 'retry' ? await source.retry(task.id) : await source.resume(task.id);
					upsertTask(store, created);
					setStatus(store, `${created.id} ${command === 'retry' ? 'retries' : 'resumes'} ${task.id}; it is ${created.status}.`, 'success');
					deps.refresh?.();
				});
				return;
			}
			case 'priorityUp':
			case 'priorityDown': {
				const task = requireSelected('reprioritize');
				if (!task) return;
				if (task.status !== 'queued') {
					setStatus(store, `${task.id} is ${task.status}; only a queued task changes priority.`, 'error');
					return;
				}
				const index = PRIORITIES.indexOf(task.priority) + (command === 'priorityUp' ? -1 : 1);
				const priority: Priority | undefined = PRIORITIES[index];
				if (index < 0 || !priority) {
					setStatus(store, `${task.id} is already ${task.priority}.`);
					return;
				}
				await act(async () => {
					const changed = await source.reprioritize(task.id, priority);
					upsertTask(store, changed);
					setStatus(store, `${task.id} is now ${priority}${changed.queuePosition ? `, #${changed.queuePosition} in the queue` : ''}.`, 'success');
					deps.refresh?.();
				});
				return;
			}
			case 'attach': {
				const task = selectedTask(state);
				if (!task || !isLive(task)) {
					setStatus(store, task ? `${task.id} has no live worker to attach to (it is ${task.status}).` : 'Select a running worker to attach to.', 'error');
					return;
				}
				if (task.mode === 'headless') {
					setStatus(store, `${task.id} runs headless (claude -p) and has no screen; its output is in the Output pane.`, 'error');
					return;
				}
				if (!deps.attach) {
					setStatus(store, `Attach from a shell: ccfleet attach ${task.id}`);
					return;
				}
				deps.attach(task.id);
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
			case 'quit': {
				const running = state.snapshot?.tasks.filter(isLive).length ?? 0;
				if (running === 0) deps.exit('leave');
				else setMode(store, {kind: 'confirm', confirmation: {kind: 'quit', running, isStopping: false}});
				return;
			}
		}
	};

	/** Moves the DAG pane's pointer through the family in the order the pane draws it. */
	const moveDagCursor = (step: number | 'first' | 'last') => {
		const state = store.getState();
		const selected = selectedTask(state);
		if (!selected) return;
		const order = dagOrder(familyNodes(familyOf(state.snapshot?.tasks ?? [], state.familyExtras, selected.id).members));
		if (order.length === 0) return;
		const current = Math.max(0, order.indexOf(dagTaskId(state) ?? selected.id));
		const index = step === 'first' ? 0 : step === 'last' ? order.length - 1 : Math.min(order.length - 1, Math.max(0, current + step));
		setDagCursor(store, order[index] === selected.id ? undefined : order[index]);
	};

	const stopAndQuit = async () => {
		const live = store.getState().snapshot?.tasks.filter(isLive) ?? [];
		setMode(store, {kind: 'confirm', confirmation: {kind: 'quit', running: live.length, isStopping: true}});
		const results = await Promise.allSettled(live.map(task => source.cancel(task.id, STOP_REASON)));
		const failed = results.filter(result => result.status === 'rejected').length;
		if (failed > 0) {
			setMode(store, {kind: 'normal'});
			setStatus(store, `${failed} of ${live.length} workers could not be stopped; the dashboard stays open.`, 'error');
			return;
		}
		deps.exit('stop');
	};

	const handleConfirm = (input: string, key: Key) => {
		const {mode} = store.getState();
		if (mode.kind !== 'confirm') return;
		const {confirmation} = mode;
		if (confirmation.kind === 'cancel') {
			if (input === 'y') {
				setMode(store, {kind: 'normal'});
				void act(async () => {
					const task = await source.cancel(confirmation.taskId, CANCEL_REASON);
					upsertTask(store, task);
					setStatus(store, `${task.id} is ${task.status}.`, 'success');
					deps.refresh?.();
				});
			} else if (input === 'n' || key.escape || input === 'q') {
				setMode(store, {kind: 'normal'});
				setStatus(store, `${confirmation.taskId} keeps running.`);
			}
			return;
		}
		if (confirmation.kind === 'cancelSchedule') {
			if (input === 'y') {
				setMode(store, {kind: 'normal'});
				void act(async () => {
					const schedule = await source.cancelSchedule(confirmation.scheduleId, CANCEL_REASON);
					upsertSchedule(store, schedule);
					setStatus(store, `Schedule ${schedule.id} is ${schedule.status}.`, 'success');
					deps.refresh?.();
				});
			} else if (input === 'n' || key.escape || input === 'q') {
				setMode(store, {kind: 'normal'});
				setStatus(store, `Schedule ${confirmation.scheduleId} stays.`);
			}
			return;
		}
		if (confirmation.isStopping) return;
		if (input === 's') void stopAndQuit();
		else if (input === 'l' || input === 'q' || (key.ctrl && input === 'c')) deps.exit('leave');
		else if (key.escape || input === 'n') setMode(store, {kind: 'normal'});
	};

	const handleForm = (input: string, key: Key) => {
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
			void submit(draft);
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
	};

	const submit = async (draft: NewTaskDraft) => {
		const prompt = draft.prompt.trim();
		let cwd = draft.cwd.trim();
		if (deps.homeDirectory && (cwd === '~' || cwd.startsWith('~/'))) cwd = deps.homeDirectory + cwd.slice(1);
		const refuse = (error: string, field: NewTaskDraft['field']) => setMode(store, {kind: 'form', draft: {...draft, error, field}});
		if (prompt === '') return refuse('Write what the worker should do.', 'prompt');
		if (!cwd.startsWith('/')) return refuse('The directory must be an absolute path.', 'cwd');
		setMode(store, {kind: 'form', draft: {...draft, isSubmitting: true, error: undefined}});
		try {
			const dependsOn = draft.dependsOn.split(/[\s,]+/).filter(Boolean);
			const task = await source.delegate({prompt, cwd, priority: draft.priority, ...(dependsOn.length ? {dependsOn} : {})});
			setMode(store, {kind: 'normal'});
			upsertTask(store, task);
			if (task.status === 'queued') select(store, 'queue', task.id);
			setStatus(store, `${task.id} is ${task.status}${task.queuePosition ? `, #${task.queuePosition} in the queue` : ''}.`, 'success');
			deps.refresh?.();
		} catch (error) {
			setMode(store, {kind: 'form', draft: {...draft, isSubmitting: false, error: error instanceof Error ? error.message : String(error)}});
		}
	};

	const handleFilter = (input: string, key: Key) => {
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
	};

	const handleDetails = (input: string, key: Key) => {
		const {mode} = store.getState();
		if (mode.kind !== 'details') return;
		if (key.escape || key.return || input === 'q') setMode(store, {kind: 'normal'});
		else if (key.downArrow || input === 'j') setMode(store, {...mode, scroll: mode.scroll + 1});
		else if (key.upArrow || input === 'k') setMode(store, {...mode, scroll: Math.max(0, mode.scroll - 1)});
		else if (input === 'y' || input === 'n' || input === 'c') {
			// Answering or cancelling right after reading the question is what the details are for.
			setMode(store, {kind: 'normal'});
			handleNormal(input, key);
		}
	};

	const handleNormal = (input: string, key: Key) => {
		const task = selectedTask(store.getState());
		const command = resolveCommand(input, key, {selectedNeedsInput: task !== undefined && needsInput(task)});
		if (command) void safeRun(command);
	};

	// `run` catches what the fleet throws; this catches the rest (a bug), so no key ever ends in an unhandled rejection.
	const safeRun = (command: Command) => run(command).catch((error: unknown) => setStatus(store, String(error), 'error'));

	const handleKey = (input: string, key: Key): void => {
		const {mode} = store.getState();
		// Keys typed faster than the app reads them (or a held key) arrive as one string: outside text fields,
		// they are still one command each, and a command that opens a form hands it the rest.
		if (mode.kind !== 'form' && mode.kind !== 'filter' && !key.ctrl && !key.meta && [...input].length > 1) {
			for (const character of input) handleKey(character, {...key, shift: character !== character.toLowerCase()});
			return;
		}
		switch (mode.kind) {
			case 'help':
				if (key.escape || key.return || input === '?' || input === 'q') setMode(store, {kind: 'normal'});
				return;
			case 'details':
				handleDetails(input, key);
				return;
			case 'confirm':
				handleConfirm(input, key);
				return;
			case 'form':
				handleForm(input, key);
				return;
			case 'filter':
				handleFilter(input, key);
				return;
			case 'normal':
				handleNormal(input, key);
				return;
		}
	};

	return {run: safeRun, handleKey};
}
