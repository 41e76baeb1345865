import {Box, Text} from 'ink';
import {memo} from 'react';
import type {DashboardTask} from '../fleet-source.js';
import {bytes, cell, count, elapsed, money, oneLine} from '../format.js';
import {isLive, needsInput} from '../store.js';
import {useTheme} from '../theme.js';

export type WorkerRowProps = {
	task: DashboardTask;
	now: number;
	isSelected: boolean;
	/** The row is selected in the focused pane, so it is drawn highlighted. */
	isHighlighted: boolean;
	width: number;
};

/** Column widths, shared with the pane's header line. */
const WORKER_COLUMNS = {id: 8, state: 11, time: 7, cost: 7, tokens: 6, rss: 5} as const;

export function workerHeaderText(): string {
	const c = WORKER_COLUMNS;
	return `   ${cell('ID', c.id)} ${cell('STATE', c.state)} ${cell('TIME', c.time)} ${cell('COST', c.cost)} ${cell('TOKENS', c.tokens)} ${cell('RSS', c.rss)} PROMPT / QUESTION`;
}

function stateLabel(task: DashboardTask): string {
	if (needsInput(task)) return 'NEEDS INPUT';
	if (isLive(task)) return task.workerState ?? task.status;
	return task.status;
}

/** `›! k3f9a2zq NEEDS INPUT 12m04s  $0.42   12k 310M Bash: npm test` — a worker that needs input is marked `!` and coloured. */
export const WorkerRow = memo(function WorkerRow({task, now, isSelected, isHighlighted, width}: WorkerRowProps) {
	const theme = useTheme();
	const c = WORKER_COLUMNS;
	const isWaiting = needsInput(task);
	const time = isLive(task) ? elapsed(task.startedAt, now) : elapsed(task.startedAt, task.endedAt);
	// Input and output tokens: what the work cost; cache reads dwarf them and mean little to a person.
	const tokens = task.tokens.input + task.tokens.output + task.tokens.cacheCreation;
	const what = isWaiting && task.question ? task.question.question : oneLine(task.prompt);
	const text =
		`${isSelected ? '›' : ' '}${isWaiting ? '!' : ' '} ${cell(task.id, c.id)} ${cell(stateLabel(task), c.state)} ${cell(time, c.time)} ` +
		`${cell(money(task.costUsd), c.cost)} ${cell(count(tokens), c.tokens)} ${cell(bytes(task.rssBytes), c.rss)} ${oneLine(what)}`;
	const style = {
		...(isLive(task) ? (theme.status[task.status] ?? {}) : theme.muted),
		...(isWaiting ? theme.needsInput : {}),
		...(isHighlighted ? theme.selected : {}),
	};
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end" {...style}>
				{text}
			</Text>
		</Box>
	);
});
