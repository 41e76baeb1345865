/** Smallest terminal the dashboard draws in; below it, it says so. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;
/**
 * From this width every pane shows at once: the Output pane beside the lists with the DAG under it, the Schedules
 * across the bottom. Below it, Output, DAG and Schedules take turns in one place under the lists.
 */
export const WIDE_COLUMNS = 120;

export type Rect = {width: number; height: number};

export type Layout = {
	columns: number;
	/**
	 * Lines the dashboard draws: one less than the terminal. Ink clears the whole screen on every frame that is as
	 * tall as the terminal, which is the flicker to avoid.
	 */
	height: number;
	/** The part between the header and the status bar, where the panes or an overlay go. */
	body: Rect;
	isWide: boolean;
	isTooSmall: boolean;
	/** Each pane's box, its title line included. Below WIDE_COLUMNS, output, dag and schedules are one place. */
	queue: Rect;
	workers: Rect;
	output: Rect;
	dag: Rect;
	schedules: Rect;
};

/**
 * Where everything goes at a terminal size. Pane heights depend on the size only, never on how many tasks there are,
 * so the layout stands still while the fleet changes.
 */
export function computeLayout(columns: number, rows: number): Layout {
	const height = Math.max(1, rows - 1);
	const isTooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
	const body = {width: columns, height: Math.max(0, height - 2)};
	const isWide = columns >= WIDE_COLUMNS;
	if (isWide) {
		const listWidth = Math.floor(columns * 0.5);
		// One column of air between the lists and the output.
		const rightWidth = columns - listWidth - 1;
		// Schedules get the full width at the bottom: their columns (cron, zone, next, last run) need it.
		const schedulesHeight = Math.max(3, Math.round(body.height * 0.22));
		const upper = Math.max(0, body.height - schedulesHeight);
		const queueHeight = Math.max(3, Math.round(upper * 0.4));
		const outputHeight = Math.max(4, Math.round(upper * 0.6));
		return {
			columns,
			height,
			body,
			isWide,
			isTooSmall,
			queue: {width: listWidth, height: queueHeight},
			workers: {width: listWidth, height: Math.max(0, upper - queueHeight)},
			output: {width: rightWidth, height: outputHeight},
			dag: {width: rightWidth, height: Math.max(0, upper - outputHeight)},
			schedules: {width: columns, height: schedulesHeight},
		};
	}
	const queueHeight = Math.max(2, Math.round(body.height * 0.2));
	const workersHeight = Math.max(3, Math.round(body.height * 0.35));
	const view = {width: columns, height: Math.max(2, body.height - queueHeight - workersHeight)};
	return {
		columns,
		height,
		body,
		isWide,
		isTooSmall,
		queue: {width: columns, height: queueHeight},
		workers: {width: columns, height: workersHeight},
		output: view,
		dag: view,
		schedules: view,
	};
}

/** The first row to show so that `selected` is visible in a window of `size` rows over `total` (centred when it can be). */
export function windowStart(total: number, selected: number, size: number): number {
	if (total <= size || size <= 0) return 0;
	const start = selected - Math.floor(size / 2);
	return Math.min(Math.max(0, start), total - size);
}
