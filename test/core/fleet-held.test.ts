import {expect, test} from 'vitest';
import type {FleetEvents} from '../../source/core/events.js';
import {Governance} from '../../source/core/fleet/governance.js';
import {DEFAULT_FLEET_OPTIONS} from '../../source/core/fleet/options.js';
import {silentLogger} from '../../source/core/ports/logger.js';
import type {TaskStore} from '../../source/core/ports/task-store.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';

// 'fleet:held' is what the notifier tells people: once when the usage limit or the daily budget begins to hold
// the fleet, not on every admission check while it holds, and again after it was lifted and came back.
function setup(spent: {usd: number}) {
	const clock = new FakeClock();
	const held: Array<FleetEvents['fleet:held']> = [];
	const options = {...DEFAULT_FLEET_OPTIONS, resources: {...DEFAULT_FLEET_OPTIONS.resources}, dailyBudgetUsd: 5};
	const store = {totalCostUsd: () => spent.usd} as unknown as TaskStore;
	const governance = new Governance({options, clock, store, system: new FakeSystemMonitor(), logger: silentLogger, onHeld: event => held.push(event)});
	const check = () => {
		const context = {now: clock.now(), running: 0, nextMode: 'pty' as const};
		for (const policy of governance.policies()) {
			const verdict = policy.check(context);
			if (!verdict.admit) return verdict;
		}
		return {admit: true as const};
	};
	return {clock, held, governance, check};
}

test('a spent daily budget is announced once, and again only after it was lifted', () => {
	const spent = {usd: 1};
	const {clock, held, governance, check} = setup(spent);
	expect(check().admit).toBe(true);
	spent.usd = 6;
	governance.noteTaskChanged();
	for (let i = 0; i < 5; i++) {
		expect(check().admit).toBe(false);
		clock.advance(2000);
	}
	expect(held).toHaveLength(1);
	expect(held[0]).toMatchObject({policy: 'daily budget'});
	expect(held[0]!.reason).toContain('the daily budget of $5.00 is spent');
	expect(held[0]!.until).toBeGreaterThan(clock.now());
	governance.configure({dailyBudgetUsd: 10});
	clock.advance(2000);
	expect(check().admit).toBe(true);
	governance.configure({dailyBudgetUsd: 5});
	clock.advance(2000);
	check();
	expect(held).toHaveLength(2);
});

test('the usage limit is announced when it is reached, not for the ramp after its reset', () => {
	const {clock, held, governance, check} = setup({usd: 0});
	governance.usage.note({status: 'rejected', resetsAt: clock.now() + 60_000});
	expect(check().admit).toBe(false);
	expect(check().admit).toBe(false);
	expect(held).toEqual([expect.objectContaining({policy: 'usage limit', until: clock.now() + 60_000})]);
	clock.advance(61_000);
	for (let i = 0; i < 10; i++) check();
	expect(held).toHaveLength(1);
});
