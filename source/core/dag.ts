/** Edges from a task to the tasks it depends on. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * A cycle reachable from `from` (every node when omitted), as the path that closes it: `['a', 'b', 'a']`
 * means a depends on b, which depends on a. Undefined when there is none. Iterative, so a graph of any depth
 * cannot overflow the stack; each node is visited once.
 */
export function findCycle(graph: DependencyGraph, from?: Iterable<string>): string[] | undefined {
	const done = new Set<string>();
	const onPath = new Map<string, number>();
	const path: string[] = [];
	for (const root of from ?? graph.keys()) {
		if (done.has(root)) continue;
		const stack: {node: string; next: number}[] = [{node: root, next: 0}];
		onPath.set(root, 0);
		path.push(root);
		while (stack.length > 0) {
			const frame = stack.at(-1)!;
			const edges = graph.get(frame.node) ?? [];
			if (frame.next < edges.length) {
				const child = edges[frame.next++]!;
				const at = onPath.get(child);
				if (at !== undefined) return [...path.slice(at), child];
				if (done.has(child)) continue;
				onPath.set(child, path.length);
				path.push(child);
				stack.push({node: child, next: 0});
				continue;
			}
			stack.pop();
			path.pop();
			onPath.delete(frame.node);
			done.add(frame.node);
		}
	}
	return undefined;
}

/** The nodes in an order where each comes after everything it depends on; throws on a cycle. */
export function topologicalOrder(graph: DependencyGraph): string[] {
	const cycle = findCycle(graph);
	if (cycle) throw new Error(`The graph has a cycle: ${cycle.join(' → ')}`);
	const order: string[] = [];
	const seen = new Set<string>();
	const visit = (root: string) => {
		const stack: {node: string; next: number}[] = [{node: root, next: 0}];
		seen.add(root);
		while (stack.length > 0) {
			const frame = stack.at(-1)!;
			const edges = graph.get(frame.node) ?? [];
			if (frame.next < edges.length) {
				const child = edges[frame.next++]!;
				if (!seen.has(child)) {
					seen.add(child);
					stack.push({node: child, next: 0});
				}
				continue;
			}
			stack.pop();
			order.push(frame.node);
		}
	};
	for (const node of graph.keys()) if (!seen.has(node)) visit(node);
	return order;
}
