import {describe, expect, it} from 'vitest';
import {formatAdmission} from '../../source/cli/format.js';
import type {FleetStatus} from '../../source/protocol/views.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

/** What admission reports on a 23.4 GB machine with no ceiling; fields the line does not read are plausible values. */
const ADMISSION = {
	cpuThresholdPercent: 80,
	memoryReserveBytes: GB,
	workerMaxRssBytes: 4 * GB,
	spentTodayUsd: 0,
	expectedWorkerBytes: {pty: 250 * MB, headless: 125 * MB},
	workerBytes: 4.2 * GB,
	roomFor: 40,
};

/** fleet_status of that machine with three workers running, room for forty more. */
function fleetStatus(overrides: {admission?: Partial<FleetStatus['admission']>} & Partial<Omit<FleetStatus, 'admission'>> = {}): FleetStatus {
	const {admission, ...rest} = overrides;
	return {
		workers: {running: 3, allowed: 43},
		admission: {...ADMISSION, ...admission},
		queued: 0,
		ready: 0,
		counts: {queued: 0, running: 3, needs_input: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0, parked: 0},
		costUsd: 0,
		needsInput: [],
		system: {cpuPercent: 23.4, memoryFreeBytes: 11.3 * GB, memoryTotalBytes: 23.4 * GB},
		...rest,
	};
}

describe("ccfleet status's admission line", () => {
	it('says how many run, what they take, how many more fit and what the machine has left, in one line when nothing is held', () => {
		expect(formatAdmission(fleetStatus())).toBe('workers: 3 running using 4.2 GB, room for 40 more · memory 11.3 GB free of 23.4 GB · CPU 23 %');
	});

	it('puts what holds the queue first, and the settings that decide it beside their measures', () => {
		const held = '200 MB free above the MEMORY_RESERVE of 1024 MB; a pty worker needs about 250 MB';
		const lines = formatAdmission(
			fleetStatus({
				workers: {running: 3, allowed: 3},
				admission: {roomFor: 0, heldBy: held},
				system: {cpuPercent: 40, memoryFreeBytes: 1.2 * GB, memoryTotalBytes: 16 * GB},
			}),
		).split('\n');
		expect(lines).toEqual([
			`queue held: ${held}`,
			'workers: 3 running using 4.2 GB, room for 0 more · memory 1.2 GB free of 16.0 GB (reserve 1.0 GB) · CPU 40 % (threshold 80 %)',
		]);
	});

	it('names the ceiling when one is set', () => {
		const text = formatAdmission(fleetStatus({workers: {running: 4, allowed: 4}, admission: {maxWorkers: 4, heldBy: '4 of CCFLEET_MAX_WORKERS 4 workers run'}}));
		expect(text.split('\n')).toEqual([
			'queue held: 4 of CCFLEET_MAX_WORKERS 4 workers run',
			'workers: 4 running of at most 4 using 4.2 GB, room for 0 more · memory 11.3 GB free of 23.4 GB (reserve 1.0 GB) · CPU 23 % (threshold 80 %)',
		]);
	});

	it('a back-off says how long it lasts, and no setting is shown: none would end it sooner', () => {
		const now = Date.parse('2026-03-01T12:00:00.000Z');
		const text = formatAdmission(fleetStatus({backoff: {until: '2026-03-01T12:00:42.000Z', reason: 'the API said 429'}, admission: {heldBy: 'the API said 429'}}), now);
		expect(text.split('\n')).toEqual([
			'queue held for 42s more: the API said 429',
			'workers: 3 running using 4.2 GB, room for 40 more · memory 11.3 GB free of 23.4 GB · CPU 23 %',
		]);
	});

	it('a hold for another reason is shown as the core words it', () => {
		const held = 'the daily budget of $5.00 is spent ($5.10 since midnight)';
		expect(formatAdmission(fleetStatus({admission: {heldBy: held}})).split('\n')[0]).toBe(`queue held: ${held}`);
	});

	it('leaves out what is not known: no memory measured yet, no sample of the machine to size the room by', () => {
		expect(formatAdmission(fleetStatus({workers: {running: 0, allowed: 0}, admission: {workerBytes: 0, roomFor: undefined}}))).toBe(
			'workers: 0 running · memory 11.3 GB free of 23.4 GB · CPU 23 %',
		);
	});
});
