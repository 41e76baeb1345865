import {isTerminal, PRIORITIES, type Priority} from '../../core/domain/task.js';
import {isOwnTask, otherHost} from '../../core/domain/other-host.js';
import type {Command} from '../keymap.js';
import type {DashboardTask} from '../fleet-source.js';
import {isLive, needsInput, selectedTask, setMode, setStatus, type DashboardState} from '../store.js';
import type {ControllerContext} from './context.js';
import {askToCancelSchedule, CANCEL_REASON, togglePause} from './schedule-actions.js';

const STOP_REASON = 'stopped from the dashboard on quit';
const DENY_MESSAGE = 'The user denied this from the ccfleet dashboard.';

/** The commands that act on the fleet (or ask before they do), and quitting. */
export type ActionCommand = Extract<Command, 'pauseSchedule' | 'approve' | 'deny' | 'cancel' | 'retry' | 'resume' | 'priorityUp' | 'priorityDown' | 'attach' | 'quit'>;

/** Resumes a finished task's conversation, telling it `additionalContext` when there is any. */
export async function resumeTask(context: ControllerContext, taskId: string, additionalContext: string): Promise<void> {
	const {store, source, results} = context;
	await context.act(async () => {
		const created = additionalContext.trim() === '' ? await source.resume(taskId) : await source.resume(taskId, additionalContext.trim());
		results.task(created);
		setStatus(store, `${created.id} resumes ${taskId}; it is ${created.status}.`, 'success');
		results.changed();
	});
}

/** Runs an action command; resolves when the fleet has answered (the answer, or the refusal, is in the status bar). */
export async function runAction(context: ControllerContext, command: ActionCommand): Promise<void> {
	const {store, source, results} = context;
	const state = store.getState();
	switch (command) {
		case 'pauseSchedule':
			await togglePause(context);
			return;
		case 'approve':
		case 'deny': {
			const task = context.requireSelected(command);
			if (!task) return;
			if (!needsInput(task)) {
				setStatus(store, `${task.id} is ${task.status}; it waits for no answer.`, 'error');
				return;
			}
			const what = task.question?.toolName ?? 'the request';
			await context.act(async () => {
				const changed = await source.respond(task.id, command === 'approve' ? {action: 'approve'} : {action: 'deny', message: DENY_MESSAGE});
				results.task(changed);
				setStatus(store, `${command === 'approve' ? 'Approved' : 'Denied'} ${what} for ${task.id}.`, 'success');
				results.changed();
			});
			return;
		}
		case 'cancel': {
			if (state.focus === 'schedules') {
				askToCancelSchedule(context);
				return;
			}
			const task = context.requireSelected('cancel');
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
			const task = context.requireSelected(command);
			if (!task) return;
			if (!isTerminal(task.status)) {
				setStatus(store, `${task.id} is ${task.status}; only a finished task can be ${command === 'retry' ? 'retried' : 'resumed'}.`, 'error');
				return;
			}
			if (command === 'resume') {
				setMode(store, {kind: 'confirm', confirmation: {kind: 'resume', taskId: task.id, text: ''}});
				return;
			}
			await context.act(async () => {
				const created = await source.retry(task.id);
				results.task(created);
				setStatus(store, `${created.id} retries ${task.id}; it is ${created.status}.`, 'success');
				results.changed();
			});
			return;
		}
		case 'priorityUp':
		case 'priorityDown':
			await reprioritize(context, command === 'priorityUp' ? -1 : 1);
			return;
		case 'attach': {
			const task = selectedTask(state);
			if (!task || !isLive(task)) {
				setStatus(store, task ? `${task.id} has no live worker to attach to (it is ${task.status}).` : 'Select a running worker to attach to.', 'error');
				return;
			}
			// Another host's worker has its terminal there; said short enough for the status bar in 80 columns.
			const host = otherHost(task, state.snapshot?.fleet.host);
			if (host !== undefined) {
				setStatus(store, `${task.id} runs on host ${host}: ssh ${host}, then ccfleet attach ${task.id}`, 'error');
				return;
			}
			if (task.mode === 'headless') {
				setStatus(store, `${task.id} runs headless (claude -p) and has no screen; its output is in the Output pane.`, 'error');
				return;
			}
			if (!context.deps.attach) {
				setStatus(store, `Attach from a shell: ccfleet attach ${task.id}`);
				return;
			}
			context.deps.attach(task.id);
			return;
		}
		case 'quit': {
			const running = ownLive(state).length;
			if (running === 0) context.deps.exit('leave');
			else setMode(store, {kind: 'confirm', confirmation: {kind: 'quit', running, isStopping: false}});
			return;
		}
	}
}

/** Moves the selected queued task one priority up (-1, towards P0) or down (+1). */
async function reprioritize(context: ControllerContext, direction: -1 | 1): Promise<void> {
	const {store} = context;
	const task = context.requireSelected('reprioritize');
	if (!task) return;
	if (task.status !== 'queued') {
		setStatus(store, `${task.id} is ${task.status}; only a queued task changes priority.`, 'error');
		return;
	}
	const index = PRIORITIES.indexOf(task.priority) + direction;
	const priority: Priority | undefined = PRIORITIES[index];
	if (index < 0 || !priority) {
		setStatus(store, `${task.id} is already ${task.priority}.`);
		return;
	}
	await context.act(async () => {
		const changed = await context.source.reprioritize(task.id, priority);
		context.results.task(changed);
		setStatus(store, `${task.id} is now ${priority}${changed.queuePosition ? `, #${changed.queuePosition} in the queue` : ''}.`, 'success');
		context.results.changed();
	});
}

/** The cancel question answered yes. */
export function cancelTask(context: ControllerContext, taskId: string): Promise<void> {
	return context.act(async () => {
		const task = await context.source.cancel(taskId, CANCEL_REASON);
		context.results.task(task);
		setStatus(context.store, `${task.id} is ${task.status}.`, 'success');
		context.results.changed();
	});
}

/** The cancel question answered "the whole workflow": every unfinished step of the task's workflow. */
export function cancelWorkflow(context: ControllerContext, workflowId: string): Promise<void> {
	return context.act(async () => {
		if (!context.source.cancelWorkflow) throw new Error('This core cannot cancel a workflow; cancel its steps one by one.');
		const tasks = await context.source.cancelWorkflow(workflowId, CANCEL_REASON);
		for (const task of tasks) context.results.task(task);
		setStatus(context.store, `Workflow ${workflowId}: ${tasks.filter(task => task.status === 'cancelled').length} of ${tasks.length} steps cancelled.`, 'success');
		context.results.changed();
	});
}

/** The live tasks whose workers run on this host: on a shared fleet, quitting stops only these (others run on their hosts). */
function ownLive(state: DashboardState): DashboardTask[] {
	const host = state.snapshot?.fleet.host;
	return (state.snapshot?.tasks ?? []).filter(task => isLive(task) && isOwnTask(task, host));
}

/** The quit question answered "stop them": cancels every live worker of this host, and quits once all are stopped. */
export async function stopAndQuit(context: ControllerContext): Promise<void> {
	const {store} = context;
	const live = ownLive(store.getState());
	setMode(store, {kind: 'confirm', confirmation: {kind: 'quit', running: live.length, isStopping: true}});
	const results = await Promise.allSettled(live.map(task => context.source.cancel(task.id, STOP_REASON)));
	const failed = results.filter(result => result.status === 'rejected').length;
	if (failed > 0) {
		setMode(store, {kind: 'normal'});
		setStatus(store, `${failed} of ${live.length} workers could not be stopped; the dashboard stays open.`, 'error');
		return;
	}
	context.deps.exit('stop');
}
