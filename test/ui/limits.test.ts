import {expect, test} from 'vitest';
import {describeLimitsChange, formatBytes, limitsChange, limitTexts, parseBytes, parsePercent, parseUsd} from '../../source/ui/limits.js';

const GB = 1024 ** 3;

test('sizes are read in binary units, with or without B or iB', () => {
	expect(parseBytes('2GB')).toBe(2 * GB);
	expect(parseBytes('2 gib')).toBe(2 * GB);
	expect(parseBytes('1.5g')).toBe(1.5 * GB);
	expect(parseBytes('512M')).toBe(512 * 1024 ** 2);
	expect(parseBytes('1048576')).toBe(1024 ** 2);
	expect(parseBytes('lots')).toBeUndefined();
	expect(parseBytes('2XB')).toBeUndefined();
	expect(parseBytes('')).toBeUndefined();
});

test('amounts and percentages', () => {
	expect(parseUsd('$7.50')).toBe(7.5);
	expect(parseUsd('20 usd')).toBe(20);
	expect(parseUsd('ten')).toBeUndefined();
	expect(parsePercent('80%')).toBe(80);
	expect(parsePercent('-5')).toBeUndefined();
});

test('a size reads back as it is written', () => {
	expect(formatBytes(2 * GB)).toBe('2GB');
	expect(formatBytes(512 * 1024 ** 2)).toBe('512MB');
	expect(formatBytes(2.5 * GB)).toBe('2.5GB');
	expect(parseBytes(formatBytes(3 * GB))).toBe(3 * GB);
});

test('only edited fields are in the change; an emptied budget or ceiling is null', () => {
	const opened = limitTexts({
		cpuThresholdPercent: 80,
		memoryReserveBytes: GB,
		workerMaxRssBytes: 4 * GB,
		maxWorkers: 4,
		dailyBudgetUsd: 10,
		spentTodayUsd: 0,
		expectedWorkerBytes: {pty: 0, headless: 0},
		workerBytes: 0,
	});
	expect(limitsChange(opened, opened)).toEqual({change: {}});
	expect(limitsChange(opened, {...opened, dailyBudgetUsd: '', maxWorkers: ' 4 '})).toEqual({change: {dailyBudgetUsd: null}});
	expect(limitsChange(opened, {...opened, maxWorkers: '2.5'})).toMatchObject({field: 'maxWorkers'});
});

test('a change as the status bar tells it', () => {
	expect(describeLimitsChange({dailyBudgetUsd: 7.5, maxWorkers: null, workerMaxRssBytes: 2 * GB})).toBe('daily budget $7.50, ceiling none, worker max RSS 2GB');
});
