import {CronExpressionParser} from 'cron-parser';
import {InvalidInputError, messageOf} from './errors.js';

/** Wall-clock time in IANA zones, DST included, and five-field cron expressions read in them: pure arithmetic. */

const CRON_HELP =
	'Give five fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week (0-7 or SUN-SAT; 0 and 7 are Sunday), ' +
	'e.g. "0 9 * * 1-5" for 09:00 on weekdays or "*/15 * * * *" for every 15 minutes.';

/** The canonical IANA name of a zone ("utc" → "UTC", "US/Eastern" → "America/New_York"); throws InvalidInputError. */
export function checkTimezone(timezone: string, field = 'timezone'): string {
	try {
		if (typeof timezone !== 'string' || timezone.trim() === '') throw new RangeError('empty');
		return new Intl.DateTimeFormat('en-US', {timeZone: timezone.trim()}).resolvedOptions().timeZone;
	} catch {
		throw new InvalidInputError(
			`${field} ${JSON.stringify(timezone)} is not an IANA time zone this machine knows; use a name like "Europe/Berlin", "America/New_York" or "UTC".`,
		);
	}
}

/** The expression with its fields separated by single spaces; throws InvalidInputError naming the field and the accepted form. */
export function checkCron(expression: string, timezone: string, field = 'cron'): string {
	const fields = typeof expression === 'string' ? expression.trim().split(/\s+/).filter(Boolean) : [];
	if (fields.length !== 5) {
		throw new InvalidInputError(
			`${field} ${JSON.stringify(expression)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; ccfleet takes exactly five (no seconds, no @aliases). ${CRON_HELP}`,
		);
	}
	const normalized = fields.join(' ');
	try {
		CronExpressionParser.parse(normalized, {tz: timezone}).next();
	} catch (error) {
		throw new InvalidInputError(`${field} ${JSON.stringify(expression)} is not valid: ${messageOf(error)}. ${CRON_HELP}`);
	}
	return normalized;
}

/** The first time after `after` (strictly) that the cron expression matches, read in `timezone`. */
export function nextCronRun(expression: string, timezone: string, after: number): number {
	return CronExpressionParser.parse(expression, {tz: timezone, currentDate: new Date(after)})
		.next()
		.getTime();
}

/**
 * The times from `first` (a due time itself, included) up to `until` (included) that the expression matches,
 * at most `cap` of them; `more` says there were others after the cap.
 */
export function cronTimesBetween(expression: string, timezone: string, first: number, until: number, cap: number): {times: number[]; more: boolean} {
	const times: number[] = [];
	if (first > until) return {times, more: false};
	times.push(first);
	const iterator = CronExpressionParser.parse(expression, {tz: timezone, currentDate: new Date(first)});
	for (;;) {
		const next = iterator.next().getTime();
		if (next > until) return {times, more: false};
		if (times.length >= cap) return {times, more: true};
		times.push(next);
	}
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO 8601 date-time as epoch ms. With `Z` or an offset it is that instant; without, a wall-clock time in
 * `timezone` (a time that a DST change skips is moved forward by the gap). Throws InvalidInputError.
 */
export function parseIsoTime(text: string, timezone: string, field = 'at'): number {
	const match = typeof text === 'string' ? ISO_TIME.exec(text.trim()) : null;
	const invalid = () =>
		new InvalidInputError(
			`${field} ${JSON.stringify(text)} is not an ISO 8601 date and time; use e.g. "2026-03-08T09:00" (read in the schedule's time zone), ` +
				'"2026-03-08T14:00:00Z" (UTC) or "2026-03-08T09:00-05:00" (with an offset).',
		);
	if (!match) throw invalid();
	const [, year, month, day, hour, minute, second = '0', fraction = '0', zone] = match;
	const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3)));
	const check = new Date(wall);
	// Date.UTC rolls 2026-02-30 over into March; a date that does not round-trip does not exist.
	if (
		check.getUTCFullYear() !== Number(year) ||
		check.getUTCMonth() !== Number(month) - 1 ||
		check.getUTCDate() !== Number(day) ||
		check.getUTCHours() !== Number(hour) ||
		check.getUTCMinutes() !== Number(minute) ||
		Number(second) > 59
	) {
		throw invalid();
	}
	if (zone === undefined) return zonedWallTimeToInstant(wall, timezone);
	if (zone.toUpperCase() === 'Z') return wall;
	const offset = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
	const minutes = Number(offset[2]) * 60 + Number(offset[3] ?? '0');
	if (Number(offset[2]) > 23 || Number(offset[3] ?? '0') > 59) throw invalid();
	return wall - (offset[1] === '-' ? -1 : 1) * minutes * 60_000;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** How far `timezone`'s wall clock is ahead of UTC at `instant`, in ms. */
export function zoneOffsetMs(instant: number, timezone: string): number {
	let format = offsetFormatters.get(timezone);
	if (!format) {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone: timezone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		});
		offsetFormatters.set(timezone, format);
	}
	const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map(part => [part.type, part.value]));
	const wall = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
	return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant at which `timezone`'s wall clock shows `wall` (given as if it were UTC). */
export function zonedWallTimeToInstant(wall: number, timezone: string): number {
	const DAY_MS = 86_400_000;
	// Offset changes are more than a day apart, so the offsets a day either side are the only two candidates.
	const before = wall - zoneOffsetMs(wall - DAY_MS, timezone);
	const after = wall - zoneOffsetMs(wall + DAY_MS, timezone);
	const valid = [before, after].filter(instant => instant + zoneOffsetMs(instant, timezone) === wall);
	// A repeated wall time (autumn) is its first occurrence; a skipped one (spring) moves forward by the gap.
	return valid.length > 0 ? Math.min(...valid) : before;
}

/** `2026-03-08 09:00 EDT`: a time as people in that zone read it. */
export function formatInZone(instant: number, timezone: string): string {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-US', {
			timeZone: timezone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			timeZoneName: 'short',
		})
			.formatToParts(new Date(instant))
			.map(part => [part.type, part.value]),
	);
	const seconds = parts['second'] === '00' ? '' : `:${parts['second']}`;
	return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}${seconds} ${parts['timeZoneName']}`;
}
