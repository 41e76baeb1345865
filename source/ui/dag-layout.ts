import type {TaskStatus} from '../core/domain/task.js';
import {windowStart} from './layout.js';

/** A task in a dependency graph: `parents` are the tasks it waits for (dependsOn and continueFrom). */
export type DagNode = {id: string; status: TaskStatus; parents: readonly string[]; label?: string};

export type DagRowNode = {id: string; status: TaskStatus; label?: string; isSelected: boolean};

/** One line of the drawing: the lanes (exactly `gutterWidth` characters), and the node when the line has one. */
export type DagRow = {gutter: string; node?: DagRowNode};

export type DagLayout = {
	/** The visible rows, `start` to `start + rows.length` of `total`. */
	rows: DagRow[];
	gutterWidth: number;
	total: number;
	start: number;
	nodeCount: number;
	/** Whether the rows between nodes were left out to make the graph fit. */
	isCompact: boolean;
};

export type DagLayoutOptions = {
	selectedId?: string;
	/** Rows the drawing may take. */
	height: number;
	/** Columns the whole line may take; the lanes give way to the text beyond this. */
	width?: number;
};

/** Columns a node's text (`id status`) keeps however many lanes there are. */
const DAG_MIN_TEXT = 20;
const NODE = '●';
const SELECTED_NODE = '◉';

type Slot = {owner: string; remaining: number} | undefined;

/**
 * Draws a task family as a layered graph, one node per line, like `git log --graph` turned to dependencies: a task
 * is below everything it waits for (layers by longest path from a root), and a lane runs down from each task with
 * dependents until its last dependent. A dependent sits on its parent's lane when it is that parent's last one
 * (so a chain is a straight line), else on a lane of its own; horizontal strokes join it to the lanes of its other
 * parents: `├`/`┤` where the parent has more dependents below, `└`/`┘` where this was its last, `┼`/`┴` for a
 * parent passed on the way, and a lane crossed without joining keeps its plain `│`. When the graph fits, a row of
 * lanes separates the nodes; when it does not, those rows go, and then the window follows the selected task.
 */
export function layoutDag(nodes: readonly DagNode[], options: DagLayoutOptions): DagLayout {
	const ordered = orderNodes(nodes);
	const height = Math.max(0, options.height);
	let all = drawRows(ordered, options.selectedId, true);
	let isCompact = false;
	if (all.rows.length > height) {
		all = drawRows(ordered, options.selectedId, false);
		isCompact = true;
	}
	let {gutterWidth} = all;
	let rows = all.rows;
	const maxGutter = options.width === undefined ? Infinity : Math.max(2, options.width - 3 - DAG_MIN_TEXT);
	if (gutterWidth > maxGutter) {
		gutterWidth = maxGutter;
		rows = rows.map(row => ({...row, gutter: clipGutter(row.gutter, maxGutter, row.node !== undefined)}));
	}
	const selectedRow = Math.max(
		0,
		rows.findIndex(row => row.node?.isSelected),
	);
	const start = windowStart(rows.length, selectedRow, height);
	return {
		rows: rows.slice(start, start + height),
		gutterWidth,
		total: rows.length,
		start,
		nodeCount: ordered.length,
		isCompact,
	};
}

/** The layout as plain text, `›` marking the selected task: what a test or a log can compare. */
export function dagText(layout: DagLayout): string[] {
	return layout.rows.map(row => {
		const mark = row.node?.isSelected ? '›' : ' ';
		const text = row.node ? ` ${row.node.id} ${row.node.status}` : '';
		return `${mark} ${row.gutter}${text}`.trimEnd();
	});
}

/** Lanes cut to `width`, ending in `…`; a node beyond the cut is drawn at the end so its line still has one. */
function clipGutter(gutter: string, width: number, hasNode: boolean): string {
	const points = [...gutter];
	if (points.length <= width) return gutter.padEnd(width);
	const nodeGlyph = points.find(point => point === NODE || point === SELECTED_NODE);
	const visible = points.slice(0, width);
	if (points.slice(width).every(point => point === ' ')) return visible.join('');
	if (hasNode && nodeGlyph && !visible.includes(nodeGlyph)) return `${visible.slice(0, width - 2).join('')}…${nodeGlyph}`;
	return `${visible.slice(0, width - 1).join('')}…`;
}

type Ordered = {node: DagNode; parents: string[]; childCount: number};

/** The ids in the order the drawing lists them, top to bottom: what moving through the pane follows. */
export function dagOrder(nodes: readonly DagNode[]): string[] {
	return orderNodes(nodes).map(({node}) => node.id);
}

/** Parents before children: by layer (longest path from a root), then near their parents, then as given. */
function orderNodes(nodes: readonly DagNode[]): Ordered[] {
	const byId = new Map<string, DagNode>();
	for (const node of nodes) if (!byId.has(node.id)) byId.set(node.id, node);
	const input = [...byId.values()];
	const inputIndex = new Map(input.map((node, index) => [node.id, index]));
	const parentsOf = new Map(input.map(node => [node.id, [...new Set(node.parents)].filter(id => id !== node.id && byId.has(id))]));
	const children = new Map<string, string[]>(input.map(node => [node.id, []]));
	for (const node of input) for (const parent of parentsOf.get(node.id)!) children.get(parent)!.push(node.id);
	// Kahn's algorithm gives the layers; a cycle (the core refuses them, but a drawing must not hang) is cut where found.
	const depth = new Map<string, number>();
	const pending = new Map(input.map(node => [node.id, parentsOf.get(node.id)!.length]));
	let ready = input.filter(node => pending.get(node.id) === 0).map(node => node.id);
	while (depth.size < input.length) {
		if (ready.length === 0) {
			const stuck = input.find(node => !depth.has(node.id))!;
			parentsOf.set(
				stuck.id,
				parentsOf.get(stuck.id)!.filter(id => depth.has(id)),
			);
			for (const [parent, list] of children) children.set(parent, depth.has(parent) ? list : list.filter(id => id !== stuck.id));
			ready = [stuck.id];
		}
		const next: string[] = [];
		for (const id of ready) {
			if (depth.has(id)) continue;
			depth.set(id, Math.max(-1, ...parentsOf.get(id)!.map(parent => depth.get(parent) ?? -1)) + 1);
			for (const child of children.get(id)!) {
				const left = pending.get(child)! - 1;
				pending.set(child, left);
				if (left === 0) next.push(child);
			}
		}
		ready = next;
	}
	const layers = new Map<number, string[]>();
	for (const node of input) {
		const layer = depth.get(node.id)!;
		layers.set(layer, [...(layers.get(layer) ?? []), node.id]);
	}
	const position = new Map<string, number>();
	const ordered: Ordered[] = [];
	for (const layer of [...layers.keys()].sort((a, b) => a - b)) {
		const near = (id: string) => Math.min(Infinity, ...parentsOf.get(id)!.map(parent => position.get(parent) ?? Infinity));
		const ids = layers.get(layer)!.sort((a, b) => near(a) - near(b) || inputIndex.get(a)! - inputIndex.get(b)!);
		for (const id of ids) {
			position.set(id, ordered.length);
			ordered.push({node: byId.get(id)!, parents: parentsOf.get(id)!, childCount: children.get(id)!.length});
		}
	}
	return ordered;
}

function drawRows(ordered: readonly Ordered[], selectedId: string | undefined, isAiry: boolean): {rows: DagRow[]; gutterWidth: number} {
	const slots: Slot[] = [];
	const rows: Array<{cells: string[]; node?: DagRowNode}> = [];
	for (const [index, {node, parents, childCount}] of ordered.entries()) {
		if (isAiry && index > 0 && slots.some(Boolean)) rows.push({cells: slots.map(slot => (slot ? '│ ' : '  '))});
		const parentSlots: number[] = [];
		const ending = new Set<number>();
		slots.forEach((slot, i) => {
			if (!slot || !parents.includes(slot.owner)) return;
			parentSlots.push(i);
			slot.remaining--;
			if (slot.remaining <= 0) ending.add(i);
		});
		let column: number;
		if (parentSlots.length === 0) column = firstFree(slots, 0);
		else if (ending.size > 0) column = Math.min(...ending);
		else column = firstFree(slots, Math.min(...parentSlots) + 1);
		const low = Math.min(column, ...parentSlots);
		const high = Math.max(column, ...parentSlots);
		const isSelected = node.id === selectedId;
		const cells: string[] = [];
		for (let i = 0; i < Math.max(slots.length, column + 1); i++) {
			const filler = i >= low && i < high ? '─' : ' ';
			let glyph: string;
			if (i === column) glyph = isSelected ? SELECTED_NODE : NODE;
			else if (parentSlots.includes(i)) {
				const isOuter = i === low || i === high;
				const goesOn = !ending.has(i);
				if (!isOuter) glyph = goesOn ? '┼' : '┴';
				else if (i < column) glyph = goesOn ? '├' : '└';
				else glyph = goesOn ? '┤' : '┘';
			} else if (slots[i]) glyph = '│';
			else glyph = i > low && i < high ? '─' : ' ';
			cells.push(glyph + filler);
		}
		rows.push({cells, node: {id: node.id, status: node.status, ...(node.label === undefined ? {} : {label: node.label}), isSelected}});
		for (const i of ending) slots[i] = undefined;
		slots[column] = childCount > 0 ? {owner: node.id, remaining: childCount} : undefined;
		while (slots.length > 0 && !slots.at(-1)) slots.pop();
	}
	// The last cell's filler is always blank; one column of it is enough before the text.
	const gutterWidth = Math.max(1, ...rows.map(row => row.cells.length * 2 - 1));
	return {
		rows: rows.map(row => ({gutter: row.cells.join('').slice(0, gutterWidth).padEnd(gutterWidth), ...(row.node ? {node: row.node} : {})})),
		gutterWidth,
	};
}

function firstFree(slots: readonly Slot[], from: number): number {
	for (let i = from; i < slots.length; i++) if (!slots[i]) return i;
	return Math.max(from, slots.length);
}
