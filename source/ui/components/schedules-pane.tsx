import {Box, Text} from 'ink';
import {windowStart} from '../layout.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';
import {ScheduleRow, scheduleHeaderText} from './schedule-row.js';

export type SchedulesPaneProps = {width: number; height: number; isFocused: boolean};

/** Every schedule: when it fires (cron or time, in its zone), how soon next, how its last run went. p pauses, c cancels. */
export function SchedulesPane({width, height, isFocused}: SchedulesPaneProps) {
	const theme = useTheme();
	const schedules = useDashboard(state => state.schedules);
	const selectedId = useDashboard(state => state.scheduleSelection);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const active = schedules.filter(schedule => schedule.status === 'active').length;
	const hasHeader = height >= 3;
	const rows = Math.max(0, height - 1 - (hasHeader ? 1 : 0));
	const selected = schedules.findIndex(schedule => schedule.id === selectedId);
	const start = windowStart(schedules.length, Math.max(0, selected), rows);
	const visible = schedules.slice(start, start + rows);
	const range = schedules.length > rows ? ` · ${start + 1}-${start + visible.length} of ${schedules.length}` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle
				title="Schedules"
				detail={
					schedules.length === 0
						? '0 · make one with ccfleet schedule create'
						: `${active} active · ${schedules.length - active} other${range}${isFocused ? ' · p pause/resume · c cancel' : ''}`
				}
				isFocused={isFocused}
				width={width}
			/>
			{hasHeader && schedules.length > 0 ? (
				<Text {...theme.muted} wrap="truncate-end">
					{scheduleHeaderText(width)}
				</Text>
			) : null}
			{schedules.length === 0 ? (
				<Text {...theme.muted} wrap="truncate-end">
					{'  No schedules. Make one with: ccfleet schedule create "<prompt>" --cron "0 9 * * 1-5"'}
				</Text>
			) : (
				visible.map(schedule => (
					<ScheduleRow
						key={schedule.id}
						schedule={schedule}
						now={now}
						isSelected={schedule.id === selectedId}
						isHighlighted={isFocused && schedule.id === selectedId}
						width={width}
					/>
				))
			)}
		</Box>
	);
}
