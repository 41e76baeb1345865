import {describe, expect, it} from 'vitest';
import {createFleet} from '../../source/core/fleet.js';
import type {Logger} from '../../source/core/ports/logger.js';
import type {SharedGovernance, SharedUsageLimit} from '../../source/core/ports/shared-governance.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = async () => {
	for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve));
};

/**
 * The shared database's fleet_state in memory: the later reset wins, as FleetState's one statement does, and every
 * host listening hears of each note (its NOTIFY), the noting host too.
 */
class SharedState {
	limit: SharedUsageLimit | undefined;
	failing = false;
	reads = 0;
	readonly #listeners = new Set<() => void>();

	for(host: string): SharedGovernance {
		return {
			noteUsageLimit: async (until, kind) => {
				if (!this.limit || this.limit.until < until) {
					this.limit = {until, ...(kind ? {kind} : {}), notedBy: host};
					this.announce();
				}
				return this.limit;
			},
			usageLimit: async () => {
				this.reads++;
				if (this.failing) throw new Error('connection refused');
				return this.limit;
			},
			onChange: listener => {
				this.#listeners.add(listener);
				// Once it listens, as the adapter does.
				queueMicrotask(listener);
				return () => this.#listeners.delete(listener);
			},
		};
	}

	/** A change to the row, as a host's NOTIFY tells every listening host. */
	announce(): void {
		for (const listener of this.#listeners) listener();
	}

	get listening(): number {
		return this.#listeners.size;
	}
}

function recordingLogger(): Logger & {lines: string[]} {
	const lines: string[] = [];
	const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
	return {lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error')};
}

async function host(id: string, shared: SharedState, clock: FakeClock) {
	const driver = new FakeWorkerDriver();
	const store = new MemoryTaskStore();
	const logger = recordingLogger();
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds(), logger, sharedGovernance: shared.for(id)},
		{staggerMs: 0, maxWorkers: 2},
	);
	await fleet.start();
	return {fleet, driver, store, logger};
}

const live = (driver: FakeWorkerDriver) => driver.started.filter(worker => !worker.exited);

describe('the usage limit, shared by the hosts of one fleet', () => {
	it('a limit one host meets holds the others’ new starts until its reset, without stopping their running workers; then they start again', async () => {
		const clock = new FakeClock();
		const shared = new SharedState();
		const a = await host('a', shared, clock);
		const b = await host('b', shared, clock);
		const aIds = Array.from({length: 3}, (_, i) => a.fleet.submit({prompt: `a ${i}`, cwd: '/work'}).id);
		const bIds = Array.from({length: 4}, (_, i) => b.fleet.submit({prompt: `b ${i}`, cwd: '/work'}).id);
		await settle();
		expect(live(a.driver)).toHaveLength(2);
		expect(live(b.driver)).toHaveLength(2);

		const resetsAt = clock.now() + 30_000;
		a.driver.started[0]!.listener.onUsageLimit?.({status: 'rejected', resetsAt, kind: 'five_hour'});
		await settle();
		expect(shared.limit).toEqual({until: resetsAt, kind: 'five_hour', notedBy: 'a'});
		expect(a.store.get(aIds[0]!)!.status).toBe('parked');

		// B hears of it at once, without a timer: its running workers go on, nothing new starts, status says why and until when.
		expect(b.fleet.usageLimit()).toEqual({state: 'limited', kind: 'five_hour', resetsAt});
		expect(b.logger.lines).toContain('warn another host met the usage limit; new workers here wait for its reset');
		for (const worker of b.driver.started) worker.finish('done');
		await settle();
		expect(b.fleet.admissionState().heldBy).toBe(`the 5-hour usage limit is reached; nothing starts until it resets at ${new Date(resetsAt).toISOString()}`);
		expect(bIds.slice(0, 2).map(id => b.store.get(id)!.status)).toEqual(['completed', 'completed']);
		expect(b.driver.started).toHaveLength(2);
		expect(bIds.slice(2).map(id => b.store.get(id)!.status)).toEqual(['queued', 'queued']);

		// At the reset B starts again, by the same ramp as a host that met the limit itself.
		clock.advance(resetsAt - clock.now() - 1);
		await settle();
		expect(b.driver.started).toHaveLength(2);
		clock.advance(1);
		await settle();
		expect(b.driver.started).toHaveLength(4);
		expect(b.fleet.usageLimit()).toMatchObject({state: 'ramping', resetsAt});
		await a.fleet.stop();
		await b.fleet.stop();
	});

	it('a host that starts while the limit holds waits from its first start; an earlier limit never shortens a later one', async () => {
		const clock = new FakeClock();
		const shared = new SharedState();
		const resetsAt = clock.now() + 60_000;
		shared.limit = {until: resetsAt, notedBy: 'a'};
		const c = await host('c', shared, clock);
		c.fleet.submit({prompt: 'c 0', cwd: '/work'});
		await settle();
		expect(c.driver.started).toHaveLength(0);
		expect(c.fleet.usageLimit()).toEqual({state: 'limited', resetsAt});

		// Its own worker could not meet an earlier one, but another host's older note read back changes nothing.
		shared.limit = {until: resetsAt - 30_000, notedBy: 'b'};
		shared.announce();
		await settle();
		expect(c.fleet.usageLimit()).toEqual({state: 'limited', resetsAt});
		clock.advance(resetsAt - clock.now());
		await settle();
		expect(c.driver.started).toHaveLength(1);
		await c.fleet.stop();
	});

	it('reads the shared limit only when told of a change, one read at a time, and never on a timer', async () => {
		const clock = new FakeClock();
		const shared = new SharedState();
		const e = await host('e', shared, clock);
		await settle();
		// One read at start, one once it listens.
		expect(shared.reads).toBe(2);
		clock.advance(60_000);
		await settle();
		expect(shared.reads).toBe(2);
		// Three changes heard together: one read, and one more for what was heard during it.
		shared.announce();
		shared.announce();
		shared.announce();
		await settle();
		expect(shared.reads).toBe(4);
		await e.fleet.stop();
		expect(shared.listening).toBe(0);
	});

	it('a shared database that cannot be read is said once, holds nothing, and is read again until it can be', async () => {
		const clock = new FakeClock();
		const shared = new SharedState();
		shared.failing = true;
		const d = await host('d', shared, clock);
		d.fleet.submit({prompt: 'd 0', cwd: '/work'});
		await settle();
		expect(d.driver.started).toHaveLength(1);
		for (let i = 0; i < 3; i++) {
			clock.advance(2000);
			await settle();
		}
		// At start, once it listens, then every 2 s.
		expect(shared.reads).toBe(5);
		expect(d.logger.lines.filter(line => line.startsWith('warn could not read the usage limit other hosts noted'))).toHaveLength(1);
		shared.failing = false;
		shared.limit = {until: clock.now() + 10_000, notedBy: 'a'};
		clock.advance(2000);
		await settle();
		expect(d.logger.lines).toContain('info the usage limit other hosts noted can be read again');
		expect(d.fleet.usageLimit()).toMatchObject({state: 'limited'});
		// Read again, no more retries.
		const reads = shared.reads;
		clock.advance(10_000);
		await settle();
		expect(shared.reads).toBe(reads);
		await d.fleet.stop();
	});
});
