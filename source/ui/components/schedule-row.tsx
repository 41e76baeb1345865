import {Box, Text} from 'ink';
import {memo} from 'react';
import {formatInZone} from '../../core/domain/schedule.js';
import type {DashboardSchedule} from '../fleet-source.js';
import {cell, oneLine} from '../format.js';
import {useTheme, type Theme} from '../theme.js';

export type ScheduleRowProps = {
	schedule: DashboardSchedule;
	now: number;
	isSelected: boolean;
	/** The row is selected in the focused pane, so it is drawn highlighted. */
	isHighlighted: boolean;
	width: number;
};

/** Column widths, shared with the pane's header line. */
export const SCHEDULE_COLUMNS = {id: 8, status: 9, when: 16, zone: 13, next: 8, last: 19} as const;

/** Width of the columns before the prompt; the prompt is shown only with room for a few words of it. */
const FIXED_WIDTH = 2 + Object.values(SCHEDULE_COLUMNS).reduce((sum, width) => sum + width + 1, 0);
const MIN_PROMPT = 10;

function hasPromptColumn(width: number): boolean {
	return width >= FIXED_WIDTH + MIN_PROMPT;
}

export function scheduleHeaderText(width: number): string {
	const c = SCHEDULE_COLUMNS;
	const head = `  ${cell('ID', c.id)} ${cell('STATUS', c.status)} ${cell('WHEN', c.when)} ${cell('ZONE', c.zone)} ${cell('NEXT', c.next)} `;
	return hasPromptColumn(width) ? `${head}${cell('LAST RUN', c.last)} PROMPT` : `${head}LAST RUN`;
}

/** `cron 0 9 * * 1-5`, `once 03-08 09:00` (wall-clock time in its zone), `step 2/3` of a pipeline. */
function whenText(schedule: DashboardSchedule): string {
	if (schedule.kind === 'cron') return `cron ${schedule.cron ?? '?'}`;
	if (schedule.pipeline && !schedule.runAt) return `step ${schedule.pipeline.step}/${schedule.pipeline.steps}`;
	if (!schedule.runAt) return 'once';
	// `2026-03-08 09:00:00 EDT` → `03-08 09:00`: the zone has its own column.
	return `once ${formatInZone(Date.parse(schedule.runAt), schedule.timezone).slice(5, 16)}`;
}

/** A time span, roughly (`45s`, `12m`, `3h05m`, `22h`, `2d4h`): a schedule's columns have room for eight characters. */
function roughly(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
	if (seconds < 36_000) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
	return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** `in 1h30m`, `due now`, or `-` when it will not fire (paused, ended, a pipeline step waiting for the one before). */
function nextText(schedule: DashboardSchedule, now: number): string {
	if (!schedule.nextRunAt || schedule.status !== 'active') return '-';
	const ms = Date.parse(schedule.nextRunAt) - now;
	return ms <= 0 ? 'due now' : `in ${roughly(ms)}`;
}

/** `2m ago completed`, or `never`. */
function lastRunText(schedule: DashboardSchedule, now: number): string {
	const run = schedule.lastRun;
	const at = run ? Date.parse(run.firedAt) : schedule.lastRunAt ? Date.parse(schedule.lastRunAt) : undefined;
	if (at === undefined) return 'never';
	const ago = `${roughly(now - at)} ago`;
	return run ? `${ago} ${run.outcome}` : ago;
}

function outcomeStyle(theme: Theme, schedule: DashboardSchedule) {
	switch (schedule.lastRun?.outcome) {
		case 'completed':
			return theme.success;
		case 'failed':
		case 'missed-failed':
		case 'not-started':
			return theme.error;
		case 'started':
			return theme.status.running ?? {};
		case 'cancelled':
		case 'skipped-overlap':
		case 'missed-skipped':
			return theme.warning;
		case undefined:
			return theme.muted;
	}
}

function statusStyle(theme: Theme, schedule: DashboardSchedule) {
	if (schedule.status === 'active') return theme.success;
	if (schedule.status === 'paused') return theme.warning;
	return theme.muted;
}

/** `› k3f9a2zq active    cron 0 9 * * 1-5 Europe/Berlin in 1h30m  2m ago completed     Run the tests…` */
export const ScheduleRow = memo(function ScheduleRow({schedule, now, isSelected, isHighlighted, width}: ScheduleRowProps) {
	const theme = useTheme();
	const c = SCHEDULE_COLUMNS;
	const head = `${isSelected ? '›' : ' '} ${cell(schedule.id, c.id)} `;
	const hasPrompt = hasPromptColumn(width);
	return (
		<Box width={width} height={1} flexShrink={0}>
			<Text wrap="truncate-end" {...(isHighlighted ? theme.selected : {})}>
				{head}
				<Text {...(isHighlighted ? {} : statusStyle(theme, schedule))}>{cell(schedule.status, c.status)}</Text>
				{` ${cell(whenText(schedule), c.when)} ${cell(schedule.timezone, c.zone)} ${cell(nextText(schedule, now), c.next)} `}
				<Text {...(isHighlighted ? {} : outcomeStyle(theme, schedule))}>{hasPrompt ? cell(lastRunText(schedule, now), c.last) : lastRunText(schedule, now)}</Text>
				{hasPrompt ? ` ${oneLine(schedule.task.prompt.slice(0, 300))}` : ''}
			</Text>
		</Box>
	);
});
