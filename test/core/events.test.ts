import {describe, expect, it} from 'vitest';
import {EventBus} from '../../source/core/events.js';

describe('EventBus', () => {
	it('delivers to listeners until they unsubscribe', () => {
		const bus = new EventBus();
		const seen: string[] = [];
		const off = bus.on('worker:output', ({taskId}) => seen.push(taskId));
		bus.emit('worker:output', {taskId: 'a'});
		off();
		bus.emit('worker:output', {taskId: 'b'});
		expect(seen).toEqual(['a']);
	});

	it('reports a throwing listener as fleet:error and still calls the others', () => {
		const bus = new EventBus();
		const errors: string[] = [];
		const seen: string[] = [];
		bus.on('fleet:error', ({message}) => errors.push(message));
		bus.on('worker:output', () => {
			throw new Error('boom');
		});
		bus.on('worker:output', ({taskId}) => seen.push(taskId));
		bus.emit('worker:output', {taskId: 'x'});
		expect(seen).toEqual(['x']);
		expect(errors[0]).toMatch(/worker:output listener failed: Error: boom/);
	});
});
