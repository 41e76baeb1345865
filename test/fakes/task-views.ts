import type {FleetStatus, TaskView} from '../../source/protocol/views.js';

/** A running task's view as the CLI gets it, created a minute before `now`; `extra` sets what a test is about. */
export function taskView(id: string, now: number, extra: Partial<TaskView> = {}): TaskView {
	return {
		id,
		status: 'running',
		priority: 'P1',
		prompt: `task ${id}`,
		cwd: '/w',
		permissionMode: 'acceptEdits',
		mode: 'pty',
		sessionId: 's',
		createdAt: new Date(now - 60_000).toISOString(),
		attempts: 1,
		timeoutMs: 60_000,
		costUsd: 0,
		tokens: {input: 0, output: 0, cacheRead: 0, cacheCreation: 0},
		...extra,
	};
}

/** fleet_status's answer for a host with one of its two workers busy and nothing else going on; `extra` sets what a test is about. */
export function fleetStatus(extra: Partial<FleetStatus> = {}): FleetStatus {
	return {
		workers: {running: 1, allowed: 2},
		admission: {
			cpuThresholdPercent: 80,
			memoryReserveBytes: 1,
			workerMaxRssBytes: 1,
			spentTodayUsd: 0,
			expectedWorkerBytes: {pty: 1, headless: 1},
			workerBytes: 0,
			maxWorkers: 2,
		},
		queued: 0,
		ready: 0,
		counts: {queued: 0, running: 2, needs_input: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0, parked: 0},
		costUsd: 0,
		needsInput: [],
		system: {cpuPercent: 10, memoryFreeBytes: 1024 ** 3, memoryTotalBytes: 2 * 1024 ** 3},
		...extra,
	};
}
