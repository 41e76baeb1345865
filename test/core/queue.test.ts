import {describe, expect, it} from 'vitest';
import {PriorityQueue} from '../../source/core/queue.js';

describe('PriorityQueue', () => {
	it('serves P0 before P1 before P2 and first in first out within one', () => {
		const queue = new PriorityQueue();
		queue.push('a', 'P2');
		queue.push('b', 'P1');
		queue.push('c', 'P0');
		queue.push('d', 'P1');
		queue.push('e', 'P0');
		expect(queue.toArray()).toEqual(['c', 'e', 'b', 'd', 'a']);
		expect([queue.shift(), queue.shift(), queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual(['c', 'e', 'b', 'd', 'a', undefined]);
	});

	it('removes an id from the middle and ignores a second push of the same id', () => {
		const queue = new PriorityQueue();
		queue.push('a', 'P1');
		queue.push('b', 'P1');
		queue.push('a', 'P0');
		queue.push('c', 'P1');
		expect(queue.remove('b')).toBe(true);
		expect(queue.remove('b')).toBe(false);
		expect(queue.size).toBe(2);
		expect(queue.toArray()).toEqual(['a', 'c']);
	});

	it('tells an id its place in the running order', () => {
		const queue = new PriorityQueue();
		queue.push('a', 'P2');
		queue.push('b', 'P1');
		queue.push('c', 'P1');
		queue.push('d', 'P0');
		expect(['d', 'b', 'c', 'a', 'missing'].map(id => queue.position(id))).toEqual([1, 2, 3, 4, 0]);
	});

	it('puts a task that already had its turn at the front of its line', () => {
		const queue = new PriorityQueue();
		queue.push('a', 'P1');
		queue.push('b', 'P1');
		queue.push('again', 'P1', {first: true});
		queue.push('urgent', 'P0');
		expect(queue.toArray()).toEqual(['urgent', 'again', 'a', 'b']);
	});
});
