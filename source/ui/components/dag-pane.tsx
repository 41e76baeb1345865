import {Box, Text} from 'ink';
import {useMemo} from 'react';
import {familyNodes, familyOf} from '../dag-family.js';
import {layoutDag} from '../dag-layout.js';
import {dagTaskId, selectedTask} from '../store.js';
import {useDashboard} from '../store-context.js';
import {useTheme} from '../theme.js';
import {DagLine} from './dag-line.js';
import {PaneTitle} from './pane-title.js';

export type DagPaneProps = {width: number; height: number; isFocused: boolean};

/**
 * The selected task's family (what it waits for and what waits for it, through dependsOn and continueFrom) as a
 * graph: each task below the ones it runs after. `›` and `◉` mark the task the pane points at; j/k walk the family
 * when the pane has the focus, enter shows that task's details.
 */
export function DagPane({width, height, isFocused}: DagPaneProps) {
	const theme = useTheme();
	const tasks = useDashboard(state => state.snapshot?.tasks);
	const extras = useDashboard(state => state.familyExtras);
	const selectedId = useDashboard(state => selectedTask(state)?.id);
	const pointedId = useDashboard(dagTaskId);
	const family = useMemo(() => familyOf(tasks ?? [], extras, selectedId), [tasks, extras, selectedId]);
	const nodes = useMemo(() => familyNodes(family.members), [family]);
	const workflow = family.members[0]?.workflow;
	const rows = Math.max(0, height - 1);
	const layout = layoutDag(nodes, {...(pointedId === undefined ? {} : {selectedId: pointedId}), height: rows, width});
	let note: string | undefined;
	let detail = '';
	if (!selectedId) note = 'Select a task to see what it depends on and what depends on it.';
	else {
		// A workflow's graph goes under the workflow's name: its steps are the family.
		detail = workflow ? `workflow ${workflow.name} ${workflow.id} · ${nodes.length} steps` : `${selectedId} · ${nodes.length} task${nodes.length === 1 ? '' : 's'}`;
		if (layout.total > rows) detail += ` · ${layout.start + 1}-${layout.start + layout.rows.length} of ${layout.total} rows`;
		if (family.missing.length > 0) detail += ` · fetching ${family.missing.length}…`;
		if (nodes.length === 1 && family.missing.length === 0) {
			// Said in the title: a task alone leaves the pane one line, for the Output.
			detail = `${selectedId} · no dependencies either way`;
			note = `${selectedId} depends on no task and no task depends on it.`;
		}
	}
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden">
			<PaneTitle title="DAG" detail={detail} isFocused={isFocused} width={width} />
			{note ? (
				<Text {...theme.muted} wrap="truncate-end">
					{`  ${note}`}
				</Text>
			) : (
				layout.rows.map((row, index) => (
					// Rows of lanes have no identity of their own; their place in the window is it.
					<DagLine key={row.node?.id ?? `lanes${layout.start + index}`} row={row} width={width} isFocused={isFocused} />
				))
			)}
		</Box>
	);
}
