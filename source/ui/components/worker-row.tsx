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
	/** With workers on several hosts: the host column's width (0: no host column). */
	hostChars?: number;
};

type Column = 'time' | 'cost' | 'tokens' | 'rss';

/** Column widths, shared with the pane's header line. */
const WIDTHS = {id: 8, state: 11, time: 6, cost: 6, tokens: 6, rss: 5} as const;
/** What the worker does (its prompt or question) keeps at least this many columns: the other columns give way first. */
const MIN_WHAT = 26;
/** The order the optional columns give way in when the row is narrow. */
const GIVE_WAY: readonly Column[] = ['rss', 'tokens', 'time', 'cost'];

/** Widest a host column gets: a longer host id is cut. */
const MAX_HOST_CHARS = 8;

/** The host column's width for these tasks: 0 unless they are on more than one host. */
export function hostColumnChars(tasks: readonly DashboardTask[]): number {
	const hosts = new Set(tasks.map(task => task.host).filter(host => host !== undefined));
	return hosts.size > 1 ? Math.min(MAX_HOST_CHARS, Math.max(4, ...[...hosts].map(host => host.length))) : 0;
}

/** The optional columns a row of `width` shows, in their order on the line. */
export function workerColumns(width: number, hostChars = 0): Column[] {
	const shown = new Set<Column>(['time', 'cost', 'tokens', 'rss']);
	const fixed = 3 + WIDTHS.id + 1 + WIDTHS.state + 1 + (hostChars > 0 ? hostChars + 1 : 0);
	const used = () => fixed + [...shown].reduce((sum, column) => sum + WIDTHS[column] + 1, 0);
	for (const column of GIVE_WAY) {
		if (width - used() >= MIN_WHAT) break;
		shown.delete(column);
	}
	return (['time', 'cost', 'tokens', 'rss'] as const).filter(column => shown.has(column));
}

const HEADERS: Record<Column, string> = {time: 'TIME', cost: 'COST', tokens: 'TOKENS', rss: 'RSS'};

export function workerHeaderText(width = Number.POSITIVE_INFINITY, hostChars = 0): string {
	const columns = workerColumns(width, hostChars).map(column => `${cell(HEADERS[column], WIDTHS[column])} `);
	const host = hostChars > 0 ? `${cell('HOST', hostChars)} ` : '';
	return `   ${cell('ID', WIDTHS.id)} ${host}${cell('STATE', WIDTHS.state)} ${columns.join('')}DOING / ASKING`;
}

/** A running task's worker state, as a person reads it: it works (busy), waits for them, or starts. */
function stateLabel(task: DashboardTask): string {
	if (needsInput(task)) return 'NEEDS INPUT';
	if (!isLive(task)) return task.status;
	// Between two turns a pty worker is idle, but its task still runs: "idle" read as stuck.
	if (task.workerState === undefined || task.workerState === 'idle') return 'running';
	return task.workerState;
}

/** What the worker does: the question it asks, the tool it runs now, else its prompt's first line. */
export function workerDoing(task: DashboardTask): string {
	if (needsInput(task) && task.question) return oneLine(task.question.question);
	const prompt = oneLine(task.prompt.split('\n').find(line => line.trim() !== '') ?? task.prompt);
	if (isLive(task) && task.activity) return `${oneLine(`${task.activity.tool}${task.activity.detail ? `: ${task.activity.detail}` : ''}`)} · ${prompt}`;
	if (task.status === 'failed' && task.failureReason) return `${oneLine(task.failureReason)} · ${prompt}`;
	return prompt;
}

/** `›! k3f9a2zq NEEDS INPUT 12m04s $0.42    12k 310M  Bash: npm test` — a worker that needs input is marked `!` and coloured. */
export const WorkerRow = memo(function WorkerRow({task, now, isSelected, isHighlighted, width, hostChars = 0}: WorkerRowProps) {
	const theme = useTheme();
	const isWaiting = needsInput(task);
	// Input and output tokens: what the work cost; cache reads dwarf them and mean little to a person.
	const tokens = task.tokens.input + task.tokens.output + task.tokens.cacheCreation;
	// A live worker that has not reported any usage yet (claude writes it when an answer completes) shows "…", not a
	// $0 that reads as "free".
	const isUnreported = isLive(task) && task.costUsd === 0 && tokens === 0;
	const values: Record<Column, string> = {
		time: isLive(task) ? elapsed(task.startedAt, now) : elapsed(task.startedAt, task.endedAt),
		cost: isUnreported ? '…' : money(task.costUsd),
		tokens: isUnreported ? '…' : count(tokens),
		rss: bytes(task.rssBytes),
	};
	const columns = workerColumns(width, hostChars).map(column => `${cell(values[column], WIDTHS[column])} `);
	const host = hostChars > 0 ? `${cell(task.host ?? '-', hostChars)} ` : '';
	const text = `${isSelected ? '›' : ' '}${isWaiting ? '!' : ' '} ${cell(task.id, WIDTHS.id)} ${host}${cell(stateLabel(task), WIDTHS.state)} ${columns.join('')}${workerDoing(task)}`;
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
