import {useMemo} from 'react';
import {useStore} from 'zustand';
import {familyNodes, familyOf} from '../dag-family.js';
import {layoutDag} from '../dag-layout.js';
import type {PaneContent} from '../layout.js';
import {selectedTask, type DashboardStore} from '../store.js';

/** Rows each pane would fill now (see PaneContent): counts only, so the layout changes when a pane fills or empties. */
export function usePaneContent(store: DashboardStore): PaneContent {
	const queue = useStore(store, state => state.queue.length);
	const workers = useStore(store, state => state.workers.length);
	const schedules = useStore(store, state => state.schedules.length);
	const tasks = useStore(store, state => state.snapshot?.tasks);
	const extras = useStore(store, state => state.familyExtras);
	const selectedId = useStore(store, state => selectedTask(state)?.id);
	const dag = useMemo(() => {
		const nodes = familyNodes(familyOf(tasks ?? [], extras, selectedId).members);
		// A task alone has no graph to draw: its pane says so in its title.
		return nodes.length <= 1 ? 0 : layoutDag(nodes, {height: Number.MAX_SAFE_INTEGER}).total;
	}, [tasks, extras, selectedId]);
	return {
		// The header row counts where a pane has one.
		queue,
		workers: workers === 0 ? 0 : workers + 1,
		dag,
		schedules: schedules === 0 ? 0 : schedules + 1,
	};
}
