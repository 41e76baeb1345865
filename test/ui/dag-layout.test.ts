import {expect, test} from 'vitest';
import {dagOrder, dagText, layoutDag, type DagNode} from '../../source/ui/dag-layout.js';

const node = (id: string, parents: string[] = [], status: DagNode['status'] = 'completed'): DagNode => ({id, status, parents});
const draw = (nodes: DagNode[], selectedId?: string, height = 100, width?: number) =>
	dagText(layoutDag(nodes, {...(selectedId ? {selectedId} : {}), height, ...(width ? {width} : {})}));

test('a chain is one straight lane, the selected task marked', () => {
	expect(draw([node('a'), node('b', ['a'], 'running'), node('c', ['b'], 'queued')], 'b')).toEqual(['  ● a completed', '  │', '› ◉ b running', '  │', '  ● c queued']);
});

test('a diamond: the fork goes right, the join comes back with ┘', () => {
	expect(draw([node('A'), node('B', ['A']), node('C', ['A']), node('D', ['B', 'C'])])).toEqual([
		'  ●   A completed',
		'  │',
		'  ├─● B completed',
		'  │ │',
		'  ● │ C completed',
		'  │ │',
		'  ●─┘ D completed',
	]);
});

test('fan-out: each dependent taps the lane with ├, the last one ends it', () => {
	expect(draw([node('A'), node('B', ['A']), node('C', ['A']), node('D', ['A'])])).toEqual([
		'  ●   A completed',
		'  │',
		'  ├─● B completed',
		'  │',
		'  ├─● C completed',
		'  │',
		'  ●   D completed',
	]);
});

test('fan-in: the lanes of every dependency join the dependent, ┴ for those passed on the way', () => {
	expect(draw([node('A'), node('B'), node('C'), node('D', ['A', 'B', 'C'])])).toEqual([
		'  ●     A completed',
		'  │',
		'  │ ●   B completed',
		'  │ │',
		'  │ │ ● C completed',
		'  │ │ │',
		'  ●─┴─┘ D completed',
	]);
});

test('a node with two parents, one of which has more dependents below: ├ keeps that lane going', () => {
	expect(draw([node('P1'), node('P2'), node('X', ['P1', 'P2']), node('Y', ['P1'])])).toEqual([
		'  ●   P1 completed',
		'  │',
		'  │ ● P2 completed',
		'  │ │',
		'  ├─● X completed',
		'  │',
		'  ●   Y completed',
	]);
});

test('dependencies come before dependents whatever order they are given in; unknown parents are ignored', () => {
	const nodes = [node('release', ['test', 'docs']), node('test', ['impl']), node('docs', ['design']), node('impl', ['design']), node('design', ['gone'])];
	const order = dagOrder(nodes);
	for (const {id, parents} of nodes) for (const parent of parents.filter(known => known !== 'gone')) expect(order.indexOf(parent)).toBeLessThan(order.indexOf(id));
	expect(order[0]).toBe('design');
});

test('a cycle (which the core refuses) is still drawn, once per node', () => {
	const lines = draw([node('a', ['c']), node('b', ['a']), node('c', ['b'])]);
	expect(lines.filter(line => /[●◉]/.test(line))).toHaveLength(3);
});

test('30 nodes: compact rows, windowed to the height around the selected task, every line within the width', () => {
	// A binary tree: wide and deep at once.
	const nodes = [node('t00')];
	for (let i = 1; i < 30; i++) nodes.push(node(`t${String(i).padStart(2, '0')}`, [`t${String(Math.floor((i - 1) / 2)).padStart(2, '0')}`]));
	const layout = layoutDag(nodes, {selectedId: 't20', height: 9, width: 50});
	expect(layout.isCompact).toBe(true);
	expect(layout.nodeCount).toBe(30);
	expect(layout.total).toBe(30);
	expect(layout.rows).toHaveLength(9);
	const lines = dagText(layout);
	expect(lines[4]).toMatch(/^› .*◉.* t20 completed$/);
	for (const line of lines) expect([...line].length).toBeLessThanOrEqual(50);
	// The top and the bottom can be reached: the window stops at the ends.
	expect(dagText(layoutDag(nodes, {selectedId: 't00', height: 9}))[0]).toMatch(/^› ◉/);
	expect(dagText(layoutDag(nodes, {selectedId: 't29', height: 9})).at(-1)).toMatch(/t29/);
});

test('lanes that would crowd out the text are cut with …, and the node is still drawn', () => {
	const roots = Array.from({length: 30}, (_, i) => node(`r${i}`));
	const layout = layoutDag(
		[
			...roots,
			node(
				'sink',
				roots.map(root => root.id),
			),
		],
		{height: 100, width: 40},
	);
	expect(layout.gutterWidth).toBe(40 - 3 - 20);
	const lines = dagText(layout);
	for (const line of lines) expect([...line].length).toBeLessThanOrEqual(2 + 17 + 1 + 20);
	expect(lines.find(line => line.includes('sink'))).toMatch(/^ {2}●─┴.*sink completed$/);
	expect(lines.find(line => line.includes(' r29 '))).toMatch(/…● r29 completed$/);
});
