import {describe, expect, it} from 'vitest';
import {limitKind, parseResetTime, usageLimitFromText} from '../../source/adapters/claude/usage-limit-text.js';

const minute = 60_000;
/** The reset claude means by a wall time shown to the minute: that minute, ended. */
const endOf = (iso: string) => Date.parse(iso) + minute;

describe('parseResetTime', () => {
	it('reads a time later today in UTC', () => {
		const now = Date.parse('2026-11-29T21:30:00Z');
		expect(parseResetTime("You've hit your 5-hour limit · resets 10:48pm (UTC)", now)).toBe(endOf('2026-11-29T22:48:00Z'));
	});

	it('wraps past midnight to the next day', () => {
		const now = Date.parse('2026-11-29T23:50:00Z');
		expect(parseResetTime('resets 1:20am (UTC)', now)).toBe(endOf('2026-11-30T01:20:00Z'));
	});

	it('takes the minute shown as the current one, not a day later', () => {
		const now = Date.parse('2026-11-29T22:48:40Z');
		expect(parseResetTime('resets 10:48pm (UTC)', now)).toBe(endOf('2026-11-29T22:48:00Z'));
	});

	it('reads noon and midnight in am/pm', () => {
		const now = Date.parse('2026-11-29T06:00:00Z');
		expect(parseResetTime('resets 12pm (UTC)', now)).toBe(endOf('2026-11-29T12:00:00Z'));
		expect(parseResetTime('resets 12:05am (UTC)', now)).toBe(endOf('2026-11-30T00:05:00Z'));
	});

	it('reads the wall time of the zone in brackets', () => {
		const now = Date.parse('2026-11-30T01:19:00Z');
		expect(parseResetTime('resets 7:39am (Asia/Kolkata)', now)).toBe(endOf('2026-11-30T02:09:00Z'));
		expect(parseResetTime('resets 8pm (America/New_York)', now)).toBe(endOf('2026-12-01T01:00:00Z'));
		// New York in summer is UTC−4, not −5.
		expect(parseResetTime('resets 8pm (America/New_York)', Date.parse('2026-07-01T12:00:00Z'))).toBe(endOf('2026-07-02T00:00:00Z'));
	});

	it('reads a date claude adds when the reset is not today, and the year after at the turn of a year', () => {
		const now = Date.parse('2026-11-30T01:19:00Z');
		expect(parseResetTime("You've hit your 5-hour limit · resets Dec 1, 8:19am (Europe/Berlin)", now)).toBe(endOf('2026-12-01T07:19:00Z'));
		expect(parseResetTime("You've hit your weekly limit · resets Dec 8, 3:46am (UTC)", now)).toBe(endOf('2026-12-08T03:46:00Z'));
		expect(parseResetTime('resets Jan 2, 10am (Europe/Berlin)', Date.parse('2026-12-30T10:00:00Z'))).toBe(endOf('2027-01-02T09:00:00Z'));
	});

	it('uses the default zone when none is named', () => {
		const now = Date.parse('2026-11-29T21:30:00Z');
		expect(parseResetTime('limit resets 10:48pm', now)).toBe(endOf('2026-11-29T22:48:00Z'));
		expect(parseResetTime('limit resets 10:48pm', now, 'Europe/Berlin')).toBe(endOf('2026-11-29T21:48:00Z'));
	});

	it('gives no reset for text it cannot read', () => {
		const now = Date.now();
		expect(parseResetTime("You've hit your 5-hour limit", now)).toBeUndefined();
		expect(parseResetTime('resets 13:00pm (UTC)', now)).toBeUndefined();
		expect(parseResetTime('resets 10pm (Mars/Olympus_Mons)', now)).toBeUndefined();
		expect(parseResetTime('resets Foo 3, 10pm (UTC)', now)).toBeUndefined();
	});
});

describe('usageLimitFromText', () => {
	it('names the limit and its reset', () => {
		const now = Date.parse('2026-11-29T21:30:00Z');
		expect(usageLimitFromText("You've hit your 5-hour limit · resets 10:48pm (UTC)", now)).toEqual({
			status: 'rejected',
			resetsAt: endOf('2026-11-29T22:48:00Z'),
			kind: 'five_hour',
		});
		expect(limitKind("You've hit your weekly limit · resets Dec 8, 3:46am (UTC)")).toBe('seven_day');
		expect(usageLimitFromText("You've hit your limit", now)).toEqual({status: 'rejected'});
	});

	it('ignores other errors', () => {
		expect(usageLimitFromText('API Error: Request rejected (429) · This request would exceed your rate limit.', Date.now())).toBeUndefined();
	});
});
