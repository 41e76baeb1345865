import {describe, expect, it} from 'vitest';
import {formatAdmission, formatTask, formatTaskTable} from '../../source/cli/format.js';
import type {FleetStatus, TaskView} from '../../source/protocol/views.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const RESETS_AT = new Date(NOW + 48 * 60_000).toISOString();

/** `22:48` in the local zone the test runs in, as ccfleet status shows a time. */
function localTime(iso: string): string {
	const at = new Date(iso);
	return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

/** fleet_status at the 5-hour limit: two workers parked, nothing running, the queue held by the usage-limit policy. */
function limitedFleet(overrides: Partial<FleetStatus> = {}, admission: Partial<FleetStatus['admission']> = {}): FleetStatus {
	return {
		workers: {running: 0, allowed: 4},
		admission: {
			maxWorkers: 4,
			cpuThresholdPercent: 80,
			memoryReserveBytes: GB,
			workerMaxRssBytes: 4 * GB,
			spentTodayUsd: 0,
			expectedWorkerBytes: {pty: 250 * MB, headless: 125 * MB},
			workerBytes: 0,
			roomFor: 40,
			heldBy: `the 5-hour usage limit is reached; nothing starts until it resets at ${RESETS_AT}`,
			heldByPolicy: 'usage limit',
			...admission,
		},
		queued: 3,
		ready: 3,
		counts: {queued: 3, running: 0, needs_input: 0, parked: 2, completed: 0, failed: 0, cancelled: 0, skipped: 0},
		costUsd: 0,
		needsInput: [],
		usageLimit: {state: 'limited', kind: 'five_hour', resetsAt: RESETS_AT},
		system: {cpuPercent: 12, memoryFreeBytes: 8 * GB, memoryTotalBytes: 16 * GB},
		...overrides,
	};
}

function task(overrides: Partial<TaskView> & {id: string}): TaskView {
	return {
		status: 'queued',
		priority: 'P1',
		prompt: `Prompt of ${overrides.id}`,
		cwd: '/work/project',
		permissionMode: 'acceptEdits',
		sessionId: '00000000-0000-4000-8000-000000000001',
		createdAt: new Date(NOW - 10 * 60_000).toISOString(),
		attempts: 0,
		timeoutMs: 30 * 60_000,
		costUsd: 0,
		tokens: {input: 0, output: 0, cacheRead: 0, cacheCreation: 0},
		...overrides,
	} as TaskView;
}

describe('ccfleet status at the usage limit', () => {
	it('says which limit, when it resets in local time, and that the parked tasks go on first, instead of the UTC sentence', () => {
		const lines = formatAdmission(limitedFleet(), NOW).split('\n');
		expect(lines[0]).toBe(
			`usage limit: the 5-hour limit is reached; nothing starts until it resets at ${localTime(RESETS_AT)} (in 48m00s), then the 2 parked tasks go on first`,
		);
		expect(lines.join('\n')).not.toContain('queue held');
		expect(lines[1]).toMatch(/^workers: 0 running of at most 4/);
	});

	it('after the reset says the workers come back gradually; near the limit, that starts are spaced out', () => {
		const ramping = limitedFleet({usageLimit: {state: 'ramping', kind: 'seven_day', resetsAt: RESETS_AT}});
		expect(formatAdmission(ramping, NOW).split('\n')[0]).toBe('usage limit: the weekly limit has reset; workers come back gradually');
		const near = limitedFleet({usageLimit: {state: 'warning', kind: 'five_hour'}}, {heldBy: undefined, heldByPolicy: undefined});
		expect(formatAdmission(near, NOW).split('\n')[0]).toBe('usage limit: near the 5-hour limit; starts are spaced out');
	});

	it('adds the daily budget when one is set', () => {
		const text = formatAdmission(limitedFleet({usageLimit: undefined}, {heldBy: undefined, heldByPolicy: undefined, dailyBudgetUsd: 10, spentTodayUsd: 3.2}), NOW);
		expect(text.split('\n')).toEqual([
			'workers: 0 running of at most 4, room for 4 more · memory 8.0 GB free of 16.0 GB · CPU 12 %',
			'daily budget: $3.20 of $10 spent today',
		]);
	});

	it('shows the settings beside the measures when the policy names the machine, whatever the sentence says', () => {
		const text = formatAdmission(limitedFleet({usageLimit: undefined}, {heldBy: 'too little memory free', heldByPolicy: 'memory'}), NOW);
		expect(text.split('\n')[1]).toContain('(reserve 1.0 GB)');
	});

	it('a parked task reads "parked until" its reset in the table, with the columns still aligned', () => {
		const table = formatTaskTable(
			[task({id: 'parked01', status: 'parked', parkedUntil: RESETS_AT, attempts: 1}), task({id: 'queued01', queuePosition: 1})],
			100,
			NOW,
		).split('\n');
		expect(table[0]).toMatch(/^ID\s+STATUS\s+PRI/);
		expect(table[1]).toMatch(new RegExp(`^parked01 {2}parked until ${localTime(RESETS_AT)} {2}P1`));
		expect(table[2]).toMatch(/^queued01 {2}queued\s+P1/);
		expect(table[1]!.indexOf('P1')).toBe(table[2]!.indexOf('P1'));
		expect(table[1]!.indexOf('P1')).toBe(table[0]!.indexOf('PRI'));
	});

	it("one parked task's details say until when, and why", () => {
		const text = formatTask(task({id: 'parked01', status: 'parked', parkedUntil: RESETS_AT, attempts: 1}));
		expect(text).toMatch(/^status\s+parked until \d\d:\d\d$/m);
		expect(text).toMatch(new RegExp(`^parked until\\s+${RESETS_AT}: the account's usage limit stopped its worker`, 'm'));
	});
});
