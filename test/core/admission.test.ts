import {describe, expect, it} from 'vitest';
import {Admission, type AdmissionPolicy} from '../../source/core/fleet/admission.js';
import {FakeClock} from '../fakes/fake-clock.js';

/** A queue of `ready` tasks whose starts the test counts. */
function source(ready: number) {
	const state = {ready, running: 0, started: 0};
	return {
		state,
		pump: {
			get ready() {
				return state.ready;
			},
			get running() {
				return state.running;
			},
			nextMode: undefined,
			startNext() {
				state.ready--;
				state.running++;
				state.started++;
			},
		},
	};
}

describe('Admission', () => {
	it('starts up to the ceiling and no more', () => {
		const admission = new Admission(new FakeClock(), {maxWorkers: 3, staggerMs: 0});
		const {state, pump} = source(5);
		admission.pump(pump);
		expect(state.started).toBe(3);
		expect(admission.verdict(3)).toEqual({admit: false, reason: '3 of CCFLEET_MAX_WORKERS 3 workers run', policy: 'ceiling'});
	});

	it('sleeps until a policy lets the next start go instead of polling', () => {
		const clock = new FakeClock();
		const admission = new Admission(clock, {maxWorkers: 10, staggerMs: 200});
		const {state, pump} = source(3);
		admission.pump(pump);
		expect(state.started).toBe(1);
		expect(clock.pendingTimers).toBe(1);
		clock.advance(200);
		expect(state.started).toBe(2);
		clock.advance(200);
		expect(state.started).toBe(3);
		expect(clock.pendingTimers).toBe(0);
	});

	it('asks extra policies after its own, and the first that says no decides', () => {
		const clock = new FakeClock();
		let memoryFree = false;
		const memory: AdmissionPolicy = {name: 'memory', check: () => (memoryFree ? {admit: true} : {admit: false, reason: 'memory reserve reached'})};
		const admission = new Admission(clock, {maxWorkers: 4, staggerMs: 0}, [memory]);
		const {state, pump} = source(2);
		admission.pump(pump);
		expect(state.started).toBe(0);
		expect(admission.verdict(0)).toEqual({admit: false, reason: 'memory reserve reached', policy: 'memory'});
		memoryFree = true;
		admission.pump(pump);
		expect(state.started).toBe(2);
	});

	it('holds every start during a back-off, the longest hold winning, and reports it while it lasts', () => {
		const clock = new FakeClock();
		const admission = new Admission(clock, {maxWorkers: 4, staggerMs: 0});
		admission.holdUntil(clock.now() + 5000, 'rate_limit');
		admission.holdUntil(clock.now() + 1000, 'overloaded');
		const {state, pump} = source(1);
		admission.pump(pump);
		expect(state.started).toBe(0);
		expect(admission.backoff()).toEqual({until: clock.now() + 5000, reason: 'rate_limit'});
		clock.advance(5000);
		expect(state.started).toBe(1);
		expect(admission.backoff()).toBeUndefined();
	});

	it('starts nothing once stopped, not even when a sleeping pump wakes', () => {
		const clock = new FakeClock();
		const admission = new Admission(clock, {maxWorkers: 4, staggerMs: 100});
		const {state, pump} = source(2);
		admission.pump(pump);
		admission.stop();
		clock.advance(1000);
		expect(state.started).toBe(1);
	});

	it('refuses a ceiling that is not a whole number of at least 1', () => {
		expect(() => new Admission(new FakeClock(), {maxWorkers: 0, staggerMs: 0})).toThrow(TypeError);
	});
});
