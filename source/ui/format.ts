/** Small pure formatters for the panes. Every one returns plain text: styling is the components' business. */

/**
 * Where a pinned task may run, short: `→build-1` for a host, `→[gpu]` for a label (as the hosts line writes a host's
 * labels, so that a label does not read as a host's name), `→build-1[gpu]` for both.
 */
export function pinArrow(pin: {host?: string; label?: string}): string {
	return `→${pin.host ?? ''}${pin.label === undefined ? '' : `[${pin.label}]`}`;
}

export function duration(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
	return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** Time between an ISO start and an end (an ISO time or epoch ms); `-` when it has not started. */
export function elapsed(startIso: string | undefined, end: string | number | undefined): string {
	if (!startIso || end === undefined) return '-';
	const endMs = typeof end === 'number' ? end : Date.parse(end);
	return duration(endMs - Date.parse(startIso));
}

export function money(usd: number): string {
	if (usd === 0) return '$0';
	if (usd < 0.01) return '<$0.01';
	return `$${usd.toFixed(2)}`;
}

/** A budget as it was set: `$10` for whole dollars, `$7.50` otherwise. */
export function budget(usd: number): string {
	return Number.isInteger(usd) ? `$${usd}` : `$${usd.toFixed(2)}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** Within this, an hour and minute alone cannot be taken for another day's. */
const SAME_DAY_MS = 20 * 3_600_000;

/**
 * A coming moment in the local time zone, as a person reads it off a clock: `22:48`, with the weekday (`Tue 22:48`)
 * when it is not within the next 20 hours. Weekday names are fixed English, like every other word on the screen.
 */
export function clockTime(iso: string, now: number): string {
	const at = new Date(iso);
	const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
	return at.getTime() - now < SAME_DAY_MS ? time : `${WEEKDAYS[at.getDay()]} ${time}`;
}

const LIMIT_KINDS: Record<string, string> = {five_hour: '5-hour', seven_day: 'weekly', seven_day_opus: 'weekly Opus'};

/** `5-hour limit`, `weekly limit`, `usage limit`: which of the account's usage limits, by claude's name for it. */
export function limitName(kind: string | undefined): string {
	if (kind === undefined) return 'usage limit';
	return `${LIMIT_KINDS[kind] ?? kind.replace(/_/g, ' ')} limit`;
}

export function count(n: number): string {
	if (n < 1000) return String(n);
	if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
	return `${(n / 1_000_000).toFixed(1)}M`;
}

export function bytes(n: number | undefined): string {
	if (n === undefined) return '-';
	const units = ['B', 'K', 'M', 'G', 'T'];
	let value = n;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)}${units[unit]}`;
}

/** Escape sequences (CSI, OSC, single-character) a log or screen line may carry. */
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * One line fit for the screen: no escape sequences or control characters (they would move the cursor or recolour
 * the dashboard, and break NO_COLOR), tabs as spaces.
 */
export function cleanLine(line: string): string {
	return line.replace(ANSI, '').replace(/\t/g, '    ').replace(/\r?\n/g, ' ').replace(CONTROL, '');
}

/** Text on one line: runs of whitespace become one space. */
export function oneLine(text: string): string {
	return cleanLine(text.replace(/\s+/g, ' ')).trim();
}

/** Cuts text to `width` code points, ending in `…` when cut. Ink's truncation stays as the guard for wide characters. */
export function fit(text: string, width: number): string {
	if (width <= 0) return '';
	const points = [...text];
	if (points.length <= width) return text;
	return `${points.slice(0, width - 1).join('')}…`;
}

/** `fit`, then padded with spaces to exactly `width`. */
export function cell(text: string, width: number): string {
	const fitted = fit(text, width);
	return fitted + ' '.repeat(Math.max(0, width - [...fitted].length));
}

/** Wraps text to lines of at most `width` code points, breaking at spaces where it can. */
export function wrap(text: string, width: number): string[] {
	const lines: string[] = [];
	for (const paragraph of text.split('\n')) {
		let line = '';
		for (const word of cleanLine(paragraph).split(' ')) {
			let rest = word;
			while ([...rest].length > width) {
				if (line !== '') {
					lines.push(line);
					line = '';
				}
				lines.push([...rest].slice(0, width).join(''));
				rest = [...rest].slice(width).join('');
			}
			if (line === '') line = rest;
			else if ([...line].length + 1 + [...rest].length <= width) line += ` ${rest}`;
			else {
				lines.push(line);
				line = rest;
			}
		}
		lines.push(line);
	}
	return lines;
}

/**
 * A worker's terminal screen as the Output pane draws it: a TUI leaves most of its rows blank between the
 * conversation and the input box, so runs of blank rows become one; each row is cut at `width` as a window would
 * cut it (no `…`: a rule or a box edge just ends at the pane's edge).
 */
export function screenText(lines: readonly string[], width: number): string[] {
	const shown: string[] = [];
	for (const raw of lines) {
		const line = cleanLine(raw).trimEnd();
		if (line === '' && (shown.length === 0 || shown.at(-1) === '')) continue;
		shown.push([...line].slice(0, Math.max(0, width)).join(''));
	}
	while (shown.at(-1) === '') shown.pop();
	return shown;
}
