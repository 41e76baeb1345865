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
 * How many rows each pane would like under its title: its items (and the column header where it has one). Zero means
 * the pane is empty and shrinks to its title line. Without it every pane is taken as full.
 */
export type PaneContent = {queue: number; workers: number; dag: number; schedules: number};

const FULL: PaneContent = {queue: Infinity, workers: Infinity, dag: Infinity, schedules: Infinity};

/** A pane's height: its title and what it holds, between one line (empty) and `max`. */
function fitted(wanted: number, max: number): number {
	return Math.max(1, Math.min(Math.max(1, Math.floor(max)), 1 + wanted));
}

/**
 * Where everything goes at a terminal size. The lists and the DAG take the rows their content needs, up to a share of
 * the screen, and an empty one shrinks to its title; the live Output takes the rest, so it is always the largest.
 */
export function computeLayout(columns: number, rows: number, content: PaneContent = FULL): Layout {
	const height = Math.max(1, rows - 1);
	const isTooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
	const body = {width: columns, height: Math.max(0, height - 2)};
	const isWide = columns >= WIDE_COLUMNS;
	if (isWide) {
		// The lists get a little more than half: a worker's row needs its prompt or question to be readable.
		const listWidth = Math.floor(columns * (columns < 180 ? 0.56 : 0.5));
		// One column of air between the lists and the output.
		const rightWidth = columns - listWidth - 1;
		// Schedules get the full width at the bottom: their columns (cron, zone, next, last run) need it.
		const schedulesHeight = fitted(content.schedules, Math.max(1, body.height * 0.25));
		const upper = Math.max(0, body.height - schedulesHeight);
		const queueHeight = Math.min(upper, fitted(content.queue, upper * 0.35));
		const dagHeight = Math.min(upper, fitted(content.dag, upper * 0.4));
		return {
			columns,
			height,
			body,
			isWide,
			isTooSmall,
			queue: {width: listWidth, height: queueHeight},
			workers: {width: listWidth, height: Math.max(0, upper - queueHeight)},
			output: {width: rightWidth, height: Math.max(0, upper - dagHeight)},
			dag: {width: rightWidth, height: dagHeight},
			schedules: {width: columns, height: schedulesHeight},
		};
	}
	const queueHeight = fitted(content.queue, body.height * 0.2);
	const workersHeight = fitted(content.workers, body.height * 0.35);
	const view = {width: columns, height: Math.max(1, body.height - queueHeight - workersHeight)};
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
