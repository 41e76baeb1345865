import {describe, expect, it} from 'vitest';
import {ConfigError, loadConfig, parseDuration, parseSize} from '../source/config.js';

describe('config', () => {
	it('has working defaults under XDG_STATE_HOME', () => {
		const config = loadConfig({HOME: '/home/u', XDG_STATE_HOME: '/state'});
		expect(config).toMatchObject({
			home: '/state/ccfleet',
			socketPath: '/state/ccfleet/run/ccfleet.sock',
			databasePath: '/state/ccfleet/ccfleet.db',
			taskTimeoutMs: 30 * 60_000,
			maxOutputBytes: 10 * 1024 * 1024,
			permissionMode: 'acceptEdits',
			staggerMs: 0,
			trustWorkspace: true,
		});
		expect(loadConfig({HOME: '/home/u'}).home).toBe('/home/u/.local/state/ccfleet');
		// No ceiling by default: the machine's CPU (under 80 %) and memory (1 GB kept free) decide.
		expect(config).toMatchObject({maxWorkers: undefined, cpuThresholdPercent: 80, memoryReserveBytes: 1024 ** 3});
	});

	it('reads the knobs, with units', () => {
		const config = loadConfig({
			CCFLEET_HOME: '/x',
			TASK_TIMEOUT: '90s',
			MAX_OUTPUT_BUFFER: '2MB',
			CCFLEET_MAX_WORKERS: '3',
			CCFLEET_PERMISSION_MODE: 'default',
			CCFLEET_TRUST_WORKSPACE: 'no',
		});
		expect(config).toMatchObject({home: '/x', taskTimeoutMs: 90_000, maxOutputBytes: 2 * 1024 * 1024, maxWorkers: 3, permissionMode: 'default', trustWorkspace: false});
		expect(loadConfig({CPU_THRESHOLD: '65', MEMORY_RESERVE: '2GB', CCFLEET_WORKER_MAX_RSS: '3GB'})).toMatchObject({
			cpuThresholdPercent: 65,
			memoryReserveBytes: 2 * 1024 ** 3,
			workerMaxRssBytes: 3 * 1024 ** 3,
		});
		expect(loadConfig({CCFLEET_DAILY_BUDGET_USD: '$12.50'}).dailyBudgetUsd).toBe(12.5);
		expect(() => loadConfig({CCFLEET_DAILY_BUDGET_USD: 'lots'})).toThrow(/CCFLEET_DAILY_BUDGET_USD is "lots"; give an amount in USD above 0/);
		// ccfleet's own names win over Delegate's.
		expect(loadConfig({CCFLEET_CPU_THRESHOLD: '90%', CPU_THRESHOLD: '65', CCFLEET_MEMORY_RESERVE: '0', MEMORY_RESERVE: '2GB'})).toMatchObject({
			cpuThresholdPercent: 90,
			memoryReserveBytes: 0,
		});
		expect(parseDuration('1800000', 'T')).toBe(1_800_000);
		expect(parseDuration('2h', 'T')).toBe(7_200_000);
		expect(parseSize('512KB', 'S')).toBe(512 * 1024);
	});

	it('names the variable, the bad value and what it accepts', () => {
		expect(() => loadConfig({TASK_TIMEOUT: 'soon'})).toThrow(
			new ConfigError('TASK_TIMEOUT is "soon"; give a positive duration: milliseconds (1800000) or with a unit (90s, 30m, 2h).'),
		);
		expect(() => loadConfig({MAX_OUTPUT_BUFFER: '-1'})).toThrow(/MAX_OUTPUT_BUFFER is "-1"; give a positive size/);
		expect(() => loadConfig({CCFLEET_MAX_WORKERS: '0'})).toThrow(/CCFLEET_MAX_WORKERS is "0"; give a whole number of at least 1/);
		expect(() => loadConfig({CCFLEET_PERMISSION_MODE: 'yolo'})).toThrow(/use one of default, acceptEdits, plan, auto, dontAsk, bypassPermissions/);
		expect(() => loadConfig({LOG_LEVEL: 'loud'})).toThrow(/LOG_LEVEL is "loud"/);
		expect(() => loadConfig({CCFLEET_TRUST_WORKSPACE: 'maybe'})).toThrow(/use 1 or 0/);
		expect(() => loadConfig({CPU_THRESHOLD: '120'})).toThrow(
			new ConfigError('CPU_THRESHOLD is "120"; give a percentage above 0 and at most 100 (100: never hold work for CPU).'),
		);
		expect(() => loadConfig({CCFLEET_MEMORY_RESERVE: 'lots'})).toThrow(/CCFLEET_MEMORY_RESERVE is "lots"; give a positive size/);
	});
});
