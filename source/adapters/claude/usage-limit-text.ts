import {zonedWallTimeToInstant, zoneOffsetMs} from '../../core/domain/zoned-time.js';
import type {UsageLimitReport} from '../../core/ports/worker-driver.js';

/** claude 2.1.330's names for its limits in "You've hit your … limit", and the rateLimitType behind each. */
const LIMIT_KINDS: ReadonlyArray<[RegExp, string]> = [
	[/5-hour limit/i, 'five_hour'],
	[/weekly limit/i, 'seven_day'],
	[/opus limit/i, 'seven_day_opus'],
	[/sonnet limit/i, 'seven_day_sonnet'],
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** claude prints the reset truncated to the minute, so the limit has surely reset one minute after the time shown. */
const MINUTE_MS = 60_000;

// "resets 10:48pm (UTC)", "resets Dec 1, 8:19am (Europe/Berlin)", "resets 10am"; the zone is claude's own.
const RESET_PATTERN = /resets\s+(?:([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+)?(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?(?:\s*\(([^)]+)\))?/i;

type WallTime = {year: number; month: number; day: number; hour: number; minute: number};

/** The wall time in `timeZone` at `epochMs`. */
function wallTime(epochMs: number, timeZone: string): WallTime {
	const wall = new Date(epochMs + zoneOffsetMs(epochMs, timeZone));
	return {year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), hour: wall.getUTCHours(), minute: wall.getUTCMinutes()};
}

/** The instant a wall time in `timeZone` names (the zone arithmetic schedules use). */
function instantOf(wall: WallTime, timeZone: string): number {
	return zonedWallTimeToInstant(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute), timeZone);
}

/**
 * When a limit claude describes resets, in epoch ms, from text like `You've hit your 5-hour limit · resets
 * 10:48pm (UTC)`: the next time that wall clock shows in the zone named in brackets (or `defaultZone` when none
 * is), plus the minute claude truncated. Undefined for text it cannot read or a zone it does not know.
 */
export function parseResetTime(text: string, now: number, defaultZone = 'UTC'): number | undefined {
	const match = RESET_PATTERN.exec(text);
	if (!match) return undefined;
	const [, monthName, dayText, hourText, minuteText, meridiem, zoneText] = match;
	const hour12 = Number(hourText);
	const minute = Number(minuteText ?? 0);
	if (hour12 < 1 || hour12 > 12 || minute > 59) return undefined;
	const hour = (hour12 % 12) + (meridiem!.toLowerCase() === 'p' ? 12 : 0);
	const timeZone = zoneText?.trim() ?? defaultZone;
	// The minute shown may be the current one: a reset seconds away is not a day away.
	const earliest = now - MINUTE_MS;
	try {
		const today = wallTime(now, timeZone);
		if (monthName !== undefined) {
			const month = MONTHS.indexOf(monthName.toLowerCase()) + 1;
			const day = Number(dayText);
			if (month === 0 || day < 1 || day > 31) return undefined;
			const thisYear = instantOf({year: today.year, month, day, hour, minute}, timeZone);
			const reset = thisYear >= earliest ? thisYear : instantOf({year: today.year + 1, month, day, hour, minute}, timeZone);
			return reset + MINUTE_MS;
		}

		const sameDay = instantOf({...today, hour, minute}, timeZone);
		if (sameDay >= earliest) return sameDay + MINUTE_MS;
		// Date.UTC rolls day 32 over into the next month, so the next day needs no calendar of its own.
		return instantOf({...today, day: today.day + 1, hour, minute}, timeZone) + MINUTE_MS;
	} catch {
		// An unknown zone name (Intl throws a RangeError): no reset rather than a wrong one.
		return undefined;
	}
}

/** The limit a text names (five_hour, seven_day, …), if it names one claude knows. */
export function limitKind(text: string): string | undefined {
	return LIMIT_KINDS.find(([pattern]) => pattern.test(text))?.[1];
}

/** claude's words for a refused request when the account's usage limit is reached. */
export function isUsageLimitText(text: string): boolean {
	return /hit your .*limit/i.test(text);
}

/** A rejection read from claude's text, as the TUI shows it; undefined if the text is not about a usage limit. */
export function usageLimitFromText(text: string, now: number, defaultZone?: string): UsageLimitReport | undefined {
	if (!isUsageLimitText(text)) return undefined;
	const report: UsageLimitReport = {status: 'rejected'};
	const resetsAt = parseResetTime(text, now, defaultZone);
	if (resetsAt !== undefined) report.resetsAt = resetsAt;
	const kind = limitKind(text);
	if (kind !== undefined) report.kind = kind;
	return report;
}
