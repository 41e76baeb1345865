import {describe, expect, it} from 'vitest';
import {findCycle, topologicalOrder} from '../../source/core/dag.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('dependency graphs', () => {
	it('finds no cycle in a diamond and orders it dependencies first', () => {
		const diamond = graph({d: ['b', 'c'], b: ['a'], c: ['a'], a: []});
		expect(findCycle(diamond)).toBeUndefined();
		const order = topologicalOrder(diamond);
		expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
		expect(order.indexOf('b')).toBeLessThan(order.indexOf('d'));
		expect(order.indexOf('c')).toBeLessThan(order.indexOf('d'));
	});

	it('names the cycle as the path that closes it', () => {
		expect(findCycle(graph({a: ['b'], b: ['c'], c: ['a']}))).toEqual(['a', 'b', 'c', 'a']);
		expect(findCycle(graph({a: ['a']}))).toEqual(['a', 'a']);
		expect(findCycle(graph({x: ['a'], a: ['b'], b: ['a']}), ['x'])).toEqual(['a', 'b', 'a']);
		expect(() => topologicalOrder(graph({a: ['b'], b: ['a']}))).toThrow('a → b → a');
	});

	it('finds a cycle that a later edge closes', () => {
		const edges = new Map<string, string[]>([
			['b', ['a']],
			['c', ['b']],
		]);
		expect(findCycle(edges)).toBeUndefined();
		edges.set('a', ['c']);
		expect(findCycle(edges, ['a'])).toEqual(['a', 'c', 'b', 'a']);
	});

	it('walks a chain of 100,000 without overflowing the stack', () => {
		const chain = new Map<string, string[]>();
		for (let i = 1; i < 100_000; i++) chain.set(`n${i}`, [`n${i - 1}`]);
		expect(findCycle(chain)).toBeUndefined();
		expect(topologicalOrder(chain)).toHaveLength(100_000);
	});
});
