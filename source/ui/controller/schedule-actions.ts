import {selectedSchedule, setMode, setStatus} from '../store.js';
import type {ControllerContext} from './context.js';

const SCHEDULES_HINT = 'Press s for the Schedules pane; there p pauses or resumes the selected schedule and c cancels it.';
export const CANCEL_REASON = 'cancelled from the dashboard';

/** p: pauses the selected schedule, or resumes it when paused. Only in the Schedules pane, where the person can see which. */
export async function togglePause(context: ControllerContext): Promise<void> {
	const {store, source} = context;
	const state = store.getState();
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
	await context.act(async () => {
		const changed = schedule.status === 'active' ? await source.pauseSchedule(schedule.id) : await source.resumeSchedule(schedule.id);
		context.results.schedule(changed);
		setStatus(store, `Schedule ${schedule.id} is ${changed.status}${changed.nextRunLocal ? `; next run ${changed.nextRunLocal}` : ''}.`, 'success');
		context.results.changed();
	});
}

/** c in the Schedules pane: asks before cancelling the selected schedule. */
export function askToCancelSchedule(context: ControllerContext): void {
	const {store} = context;
	const schedule = selectedSchedule(store.getState());
	if (!schedule) setStatus(store, 'There is no schedule to cancel.', 'error');
	else if (schedule.status === 'cancelled' || schedule.status === 'completed')
		setStatus(store, `Schedule ${schedule.id} has ended (${schedule.status}); there is nothing to cancel.`, 'error');
	else setMode(store, {kind: 'confirm', confirmation: {kind: 'cancelSchedule', scheduleId: schedule.id}});
}

/** The cancel question answered yes. */
export function cancelSchedule(context: ControllerContext, scheduleId: string): Promise<void> {
	return context.act(async () => {
		const schedule = await context.source.cancelSchedule(scheduleId, CANCEL_REASON);
		context.results.schedule(schedule);
		setStatus(context.store, `Schedule ${schedule.id} is ${schedule.status}.`, 'success');
		context.results.changed();
	});
}
