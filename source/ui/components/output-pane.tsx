import {Box, Text} from 'ink';
import {logElsewhere} from '../../core/domain/other-host.js';
import {failureAdvice} from '../failure-advice.js';
import {cleanLine, clockTime, fit, screenText, wrap} from '../format.js';
import {selectedTask} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

export type OutputPaneProps = {width: number; height: number; isFocused: boolean};

/** The selected task's live terminal screen, or the tail of its log once it has ended; scrollable back when focused. */
export function OutputPane({width, height, isFocused}: OutputPaneProps) {
	const theme = useTheme();
	const task = useDashboard(selectedTask);
	const output = useDashboard(state => state.output);
	const scroll = useDashboard(state => state.outputScroll);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const thisHost = useDashboard(state => state.snapshot?.fleet.host);
	const rows = Math.max(0, height - 1);
	let detail = task ? task.id : '';
	let lines: string[] = [];
	let note: string | undefined;
	if (!task) note = 'Select a task to see its output.';
	else if (task.status === 'queued') {
		note = task.queuePosition
			? `Queued (#${task.queuePosition}): no output until a worker starts it.`
			: `Waiting for ${task.waitingOn?.join(', ') || 'its dependencies'}: no output until it can start.`;
	} else if (output?.taskId !== task.id) note = 'Loading…';
	else {
		if (output.live) lines = screenText(output.lines, width);
		else {
			lines = output.lines.map(cleanLine);
			while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
		}
		detail += output.live ? ' · live screen' : ' · log';
		if (task.status === 'parked' && task.parkedUntil !== undefined) detail += ` · parked until ${clockTime(task.parkedUntil, now)}`;
		if (task.status === 'failed' && task.failureReason) {
			// Why it failed, and what to do when it is the setup's fault, under whatever output there is.
			const advice = failureAdvice(task.failureReason);
			lines.push(...wrap(`✗ failed: ${task.failureReason}`, Math.max(10, width - 1)), ...(advice ? wrap(`→ ${advice}`, Math.max(10, width - 1)) : []));
		} else if (lines.length === 0) note = logElsewhere(task, thisHost) ?? '(no output yet)';
	}
	const end = Math.max(0, lines.length - scroll);
	const visible = lines.slice(Math.max(0, end - rows), end);
	if (scroll > 0) detail += ` · ${scroll} back (G follows)`;
	// Wrapped: where another host's log is would go past a narrow pane's edge.
	const noteLines = note === undefined ? undefined : wrap(note, Math.max(10, width - 2)).slice(0, Math.max(1, rows));
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="Output" detail={detail} isFocused={isFocused} width={width} />
			{noteLines
				? noteLines.map((line, index) => (
						<Text key={index} {...theme.muted} wrap="truncate-end">
							{`  ${line}`}
						</Text>
					))
				: visible.map((line, index) => (
						// Lines have no identity of their own; their place on the screen is it.
						<Box key={index} width={width} height={1} flexShrink={0}>
							{/* Cut here first: a worker's screen is wider than the pane, and Ink's own cut measures every cell. */}
							<Text wrap="truncate-end">{line === '' ? ' ' : fit(line, width)}</Text>
						</Box>
					))}
		</Box>
	);
}
