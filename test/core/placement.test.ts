import {describe, expect, it} from 'vitest';
import {fakeFleetPorts} from '../fakes/fake-fleet-ports.js';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {parseTaskSpec} from '../../source/core/domain/task-spec.js';
import {createFleet} from '../../source/core/fleet.js';
import {checkPlacement, describePin, fitsHost, unplaceable} from '../../source/core/fleet/placement.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';

const host = {id: 'build-1', labels: ['big-ram', 'gpu']};

function singleHostFleet() {
	const store = new MemoryTaskStore();
	const fleet = createFleet(fakeFleetPorts({store, defer: () => {}}), {staggerMs: 0, host});
	return {fleet, store};
}

describe('placement: a task pinned to a host or a label', () => {
	it('reads host and label from a spec, and refuses a name no host could have, saying what is accepted', () => {
		expect(parseTaskSpec({prompt: 'p', cwd: '/w', host: 'build-1', label: 'big-ram'})).toMatchObject({host: 'build-1', label: 'big-ram'});
		expect(() => parseTaskSpec({prompt: 'p', cwd: '/w', label: 'big ram'})).toThrow(
			/The label must be a host label: 1–63 letters, digits, dots, dashes or underscores.*got "big ram"/,
		);
		expect(() => parseTaskSpec({prompt: 'p', cwd: '/w', host: '-x'})).toThrow(/The host must be a host id/);
	});

	it('fits a host by id and by label, both when both are asked', () => {
		expect(fitsHost({}, host)).toBe(true);
		expect(fitsHost({host: 'build-1'}, host)).toBe(true);
		expect(fitsHost({label: 'gpu'}, host)).toBe(true);
		expect(fitsHost({host: 'build-1', label: 'gpu'}, host)).toBe(true);
		expect(fitsHost({host: 'build-2'}, host)).toBe(false);
		expect(fitsHost({label: 'arm'}, host)).toBe(false);
		expect(fitsHost({host: 'build-1', label: 'arm'}, host)).toBe(false);
		expect(fitsHost({label: 'gpu'}, undefined)).toBe(false);
		expect(describePin({label: 'gpu'})).toBe('a host with label gpu');
		expect(describePin({host: 'c'})).toBe('host c');
		expect(describePin({})).toBeUndefined();
	});

	it('on one host, refuses at submit a pin to another host or a label this host lacks, naming its id and labels; stores one it fits', () => {
		const {fleet, store} = singleHostFleet();
		const refused = (spec: object) => {
			try {
				fleet.submit({prompt: 'p', cwd: '/w', ...spec});
			} catch (error) {
				expect(error).toBeInstanceOf(InvalidInputError);
				return (error as Error).message;
			}
			throw new Error('accepted');
		};
		expect(refused({host: 'build-2'})).toMatch(/asks for host build-2, but this ccfleet runs alone on host build-1, labels big-ram, gpu.*CCFLEET_DATABASE_URL/);
		expect(refused({label: 'arm'})).toMatch(/asks for a host with label arm.*host build-1, labels big-ram, gpu/);
		expect(store.list()).toHaveLength(0);
		const task = fleet.submit({prompt: 'p', cwd: '/w', host: 'build-1', label: 'gpu'});
		expect(store.get(task.id)).toMatchObject({host: 'build-1', label: 'gpu'});
	});

	it('with several hosts, says what a pinned task waits for when no live host fits it', () => {
		const now = 100_000;
		const hosts = [
			{id: 'a', labels: [], heartbeatAt: now - 1000},
			{id: 'b', labels: ['big-ram'], heartbeatAt: now - 1000},
			{id: 'old', labels: ['gpu'], heartbeatAt: now - 60_000},
			{id: 'gone', labels: ['arm'], heartbeatAt: now, stoppedAt: now},
		];
		expect(unplaceable({label: 'big-ram'}, hosts, now, 15_000)).toBeUndefined();
		expect(unplaceable({host: 'a'}, hosts, now, 15_000)).toBeUndefined();
		expect(unplaceable({}, [], now, 15_000)).toBeUndefined();
		expect(unplaceable({label: 'gpu'}, hosts, now, 15_000)).toBe('a host with label gpu');
		expect(unplaceable({label: 'arm'}, hosts, now, 15_000)).toBe('a host with label arm');
		expect(unplaceable({host: 'c'}, hosts, now, 15_000)).toBe('host c');
		expect(unplaceable({host: 'a', label: 'big-ram'}, hosts, now, 15_000)).toBe('host a with label big-ram');
	});

	it('names a host without labels as such', () => {
		expect(() => checkPlacement({label: 'gpu'}, {id: 'solo', labels: []})).toThrow(/host solo, labels none/);
	});
});
