import {Box} from 'ink';
import {useMemo} from 'react';
import {windowStart} from '../layout.js';
import {useDashboard} from '../store-context.js';
import {PaneTitle} from './pane-title.js';
import {QueueRow} from './queue-row.js';

export type QueuePaneProps = {width: number; height: number; isFocused: boolean};

/** Queued tasks in the order they will run: priority, how long each has waited and what it waits for. */
export function QueuePane({width, height, isFocused}: QueuePaneProps) {
	const queue = useDashboard(state => state.queue);
	const selectedId = useDashboard(state => state.selection.queue);
	const fleet = useDashboard(state => state.snapshot?.fleet);
	const now = useDashboard(state => state.snapshot?.takenAt ?? 0);
	const isFiltered = useDashboard(state => state.filter !== '');
	const tasks = useDashboard(state => state.snapshot?.tasks);
	const statusById = useMemo(() => new Map(tasks?.map(task => [task.id, task.status])), [tasks]);
	const blockersOf = (dependsOn: string[] | undefined) => (dependsOn ?? []).filter(id => statusById.get(id) !== 'completed').join(',');
	const rows = Math.max(0, height - 1);
	const selected = queue.findIndex(task => task.id === selectedId);
	const start = windowStart(queue.length, Math.max(0, selected), rows);
	const visible = queue.slice(start, start + rows);
	const range = queue.length > rows ? ` ${start + 1}-${start + visible.length} of` : '';
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle
				title="Queue"
				detail={
					queue.length === 0
						? isFiltered
							? '0 · none matches the filter'
							: '0 · nothing queued'
						: `${range} ${queue.length}${isFiltered ? ' (filtered)' : ''}`.trim()
				}
				isFocused={isFocused}
				width={width}
			/>
			{queue.length === 0 || rows === 0
				? null
				: visible.map(task => (
						<QueueRow
							key={task.id}
							task={task}
							fleet={fleet}
							now={now}
							isSelected={task.id === selectedId}
							isHighlighted={isFocused && task.id === selectedId}
							blockers={blockersOf(task.dependsOn)}
							width={width}
						/>
					))}
		</Box>
	);
}
