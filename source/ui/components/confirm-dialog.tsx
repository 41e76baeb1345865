import {Box, Text} from 'ink';
import {oneLine} from '../format.js';
import {findTask, type DashboardState} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

function scheduleToCancel(state: DashboardState) {
	const {mode} = state;
	if (mode.kind !== 'confirm' || mode.confirmation.kind !== 'cancelSchedule') return undefined;
	const id = mode.confirmation.scheduleId;
	return state.schedules.find(schedule => schedule.id === id);
}

/** Asks before what cannot be undone (cancelling a task or a schedule, quitting while workers run) and what to add to a resume. */
export function ConfirmDialog({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const confirmation = useDashboard(state => (state.mode.kind === 'confirm' ? state.mode.confirmation : undefined));
	const task = useDashboard(state =>
		state.mode.kind === 'confirm' && (state.mode.confirmation.kind === 'cancel' || state.mode.confirmation.kind === 'resume')
			? findTask(state, state.mode.confirmation.taskId)
			: undefined,
	);
	const schedule = useDashboard(scheduleToCancel);
	const queued = useDashboard(state => state.snapshot?.fleet.queued ?? 0);
	const isEphemeralCore = useDashboard(state => state.isEphemeralCore ?? false);
	if (!confirmation) return null;
	let title: string;
	let lines: string[];
	let choices: Array<[string, string]>;
	if (confirmation.kind === 'cancel') {
		const id = confirmation.taskId;
		title = `Cancel ${id}?`;
		lines = [
			task ? `${id} is ${task.status}: ${oneLine(task.prompt)}` : id,
			!task || task.status === 'queued'
				? 'It will be taken off the queue.'
				: task.status === 'parked'
					? 'It will not go on after the usage limit resets.'
					: 'Its worker and every process it started will be stopped.',
		];
		choices = [
			['y', 'yes, cancel it'],
			...(task?.workflow ? ([['w', `cancel the whole workflow ${task.workflow.name} (${task.workflow.id})`]] as Array<[string, string]>) : []),
			['n', 'no, keep it'],
		];
	} else if (confirmation.kind === 'resume') {
		const id = confirmation.taskId;
		title = `Resume ${id}`;
		lines = [
			task ? `${id} ${task.status}: ${oneLine(task.prompt)}` : id,
			'It goes on from its conversation. Anything to tell it? (may stay empty)',
			`> ${confirmation.text}█`,
		];
		choices = [
			['enter', 'resume'],
			['esc', 'do not resume'],
		];
	} else if (confirmation.kind === 'cancelSchedule') {
		const id = confirmation.scheduleId;
		title = `Cancel schedule ${id}?`;
		lines = [schedule ? `${id} is ${schedule.status}: ${oneLine(schedule.task.prompt)}` : id, 'It never fires again; a task it already started goes on.'];
		choices = [
			['y', 'yes, cancel the schedule'],
			['n', 'no, keep it'],
		];
	} else if (confirmation.isStopping) {
		title = 'Quit';
		lines = [`Stopping ${confirmation.running} worker${confirmation.running === 1 ? '' : 's'}…`];
		choices = [];
	} else {
		const n = confirmation.running;
		title = 'Quit?';
		lines = [`${n} worker${n === 1 ? ' is' : 's are'} running.`];
		if (isEphemeralCore) lines.push('This is the demo: quitting stops every worker and removes its temporary files.');
		else lines.push('The core runs in the background: workers left running go on without the dashboard.');
		if (queued > 0 && !isEphemeralCore)
			lines.push(`${queued} queued task${queued === 1 ? ' stays' : 's stay'} queued either way: the core starts ${queued === 1 ? 'it' : 'them'} as workers free up.`);
		choices = isEphemeralCore
			? [
					['s', `stop ${n === 1 ? 'it' : 'them'} and quit the demo`],
					['esc', 'stay'],
				]
			: [
					['s', `stop ${n === 1 ? 'it' : 'them'} (cancel the running tasks) and quit`],
					['l', 'leave them running in the background and quit'],
					['esc', 'stay'],
				];
	}
	// Blank lines around the question only when there is room: in a short terminal the choices matter more.
	const hasRoom = height >= 3 + lines.length + choices.length;
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title={title} isFocused width={width} />
			{hasRoom ? <Text> </Text> : null}
			{lines.map(line => (
				<Box key={line} width={width} height={1} flexShrink={0}>
					<Text wrap="truncate-end">{`  ${line}`}</Text>
				</Box>
			))}
			{hasRoom ? <Text> </Text> : null}
			{choices.map(([key, what]) => (
				<Box key={key} width={width} height={1} flexShrink={0}>
					<Text wrap="truncate-end">
						{'  '}
						<Text {...theme.key}>{key.padEnd(6)}</Text>
						{what}
					</Text>
				</Box>
			))}
		</Box>
	);
}
