import {Box, Text} from 'ink';
import {windowStart} from '../layout.js';
import {isLive} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {PaneTitle} from './pane-title.js';
import {hostColumnChars, WorkerRow, workerHeaderText} from './worker-row.js';

export type WorkersPaneProps = {width: number; height: number; isFocused: boolean};

/** Live workers (busy, needs input, idle), then the tasks that ended most recently, to read, retry or resume. */
export function WorkersPane({width, height, isFocused}: WorkersPaneProps) {
	const theme = useTheme();
	const workers = useDashboard(state => state.workers);
	const selectedId = useDashboard(state => state.selection.workers);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const isFiltered = useDashboard(state => state.filter !== '');
	const live = workers.filter(isLive).length;
	// A host column only while the workers are on more than one host.
	const hostChars = hostColumnChars(workers);
	// The column header is worth a row only when there is room for rows under it.
	const hasHeader = height >= 3;
	const rows = Math.max(0, height - 1 - (hasHeader ? 1 : 0));
	const selected = workers.findIndex(task => task.id === selectedId);
	const start = windowStart(workers.length, Math.max(0, selected), rows);
	const visible = workers.slice(start, start + rows);
	const range = workers.length > rows ? ` · ${start + 1}-${start + visible.length} of ${workers.length}` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle
				title="Workers"
				detail={
					workers.length === 0
						? isFiltered
							? '0 · none matches the filter'
							: '0 · no tasks yet: N hands one over'
						: `${live} live · ${workers.length - live} ended${range}${isFiltered ? ' (filtered)' : ''}`
				}
				isFocused={isFocused}
				width={width}
			/>
			{hasHeader && workers.length > 0 ? (
				<Text {...theme.muted} wrap="truncate-end">
					{workerHeaderText(width, hostChars)}
				</Text>
			) : null}
			{workers.length === 0
				? null
				: visible.map(task => (
						<WorkerRow
							key={task.id}
							task={task}
							now={now}
							isSelected={task.id === selectedId}
							isHighlighted={isFocused && task.id === selectedId}
							width={width}
							hostChars={hostChars}
						/>
					))}
		</Box>
	);
}
