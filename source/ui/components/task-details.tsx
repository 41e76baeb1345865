import {Box, Text} from 'ink';
import type {DashboardTask} from '../fleet-source.js';
import {bytes, clockTime, count, duration, money, oneLine, wrap} from '../format.js';
import {findTask} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';

const LABEL_WIDTH = 14;

/** Every line of a task's details at a width: labelled fields, then the prompt and the result wrapped in full. */
function detailLines(task: DashboardTask, width: number, now: number): string[] {
	const valueWidth = Math.max(10, width - LABEL_WIDTH - 2);
	const fields: Array<[string, string | undefined]> = [
		['id', task.id],
		['status', task.status + (task.workerState ? ` (worker ${task.workerState})` : '')],
		['waits for', task.question ? `${task.question.question}  → y approve · n deny` : undefined],
		['parked until', task.parkedUntil === undefined ? undefined : parkedText(task.parkedUntil, now)],
		['tool input', task.question ? oneLine(JSON.stringify(task.question.toolInput) ?? '') : undefined],
		['priority', task.priority + (task.queuePosition ? `, #${task.queuePosition} in the queue` : '')],
		['directory', task.cwd],
		['created', task.createdAt],
		['started', task.startedAt],
		['ended', task.endedAt],
		['attempts', String(task.attempts)],
		['cost', money(task.costUsd)],
		[
			'tokens',
			`${count(task.tokens.input)} in, ${count(task.tokens.output)} out, ${count(task.tokens.cacheRead)} cache read, ${count(task.tokens.cacheCreation)} cache write`,
		],
		['memory', task.rssBytes === undefined ? undefined : bytes(task.rssBytes)],
		['pid', task.pid === undefined ? undefined : String(task.pid)],
		['exit code', task.exitCode === undefined ? undefined : String(task.exitCode)],
		['failure', task.failureReason],
		['cancelled by', task.cancelledBy],
		['session', task.sessionId],
	];
	const lines: string[] = [];
	for (const [label, value] of fields) {
		if (value === undefined) continue;
		wrap(value, valueWidth).forEach((part, index) => lines.push(`${(index === 0 ? label : '').padEnd(LABEL_WIDTH)}${part}`));
	}
	lines.push('', 'prompt:', ...wrap(task.prompt, Math.max(10, width - 2)).map(line => `  ${line}`));
	if (task.result !== undefined) lines.push('', 'result:', ...wrap(task.result, Math.max(10, width - 2)).map(line => `  ${line}`));
	return lines;
}

/** When a parked task goes on, in local time and from now, and why it waits. */
function parkedText(until: string, now: number): string {
	const left = Date.parse(until) - now;
	return `${clockTime(until, now)}${left > 0 ? ` (in ${duration(left)})` : ''}: the account's usage limit stopped its worker; it goes on from its conversation after the reset`;
}

/** The selected task in full, over the panes; scrolls with ↑/↓. */
export function TaskDetails({width, height}: {width: number; height: number}) {
	const theme = useTheme();
	const mode = useDashboard(state => state.mode);
	const task = useDashboard(state => (state.mode.kind === 'details' ? findTask(state, state.mode.taskId) : undefined));
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const rows = Math.max(0, height - 2);
	const lines = task ? detailLines(task, width, now) : ['That task is no longer in the snapshot.'];
	const maxScroll = Math.max(0, lines.length - rows);
	const scroll = Math.min(mode.kind === 'details' ? mode.scroll : 0, maxScroll);
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="Details" detail={task?.id} isFocused width={width} />
			{lines.slice(scroll, scroll + rows).map((line, index) => (
				<Box key={index} width={width} height={1} flexShrink={0}>
					<Text wrap="truncate-end">{line === '' ? ' ' : line}</Text>
				</Box>
			))}
			<Box flexGrow={1} />
			<Text {...theme.muted} wrap="truncate-end">
				{`  ↑↓ scroll${maxScroll > 0 ? ` (${scroll}/${maxScroll})` : ''} · esc close · y approve · n deny · c cancel`}
			</Text>
		</Box>
	);
}
