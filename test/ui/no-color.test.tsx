import chalk from 'chalk';
import {afterAll, afterEach, beforeAll, expect, test} from 'vitest';
import {COLOR_THEME, PLAIN_THEME, themeFromEnv} from '../../source/ui/theme.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {busyFleet} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

// Vitest's stdout is no terminal, so chalk starts with colours off; force them on, as in a terminal, so that
// "no escape codes" proves something.
const level = chalk.level;
beforeAll(() => {
	chalk.level = 3;
});
afterAll(() => {
	chalk.level = level;
});

test('NO_COLOR set and not empty means the plain theme; unset or empty does not', () => {
	expect(themeFromEnv({NO_COLOR: '1'})).toBe(PLAIN_THEME);
	expect(themeFromEnv({NO_COLOR: 'yes please'})).toBe(PLAIN_THEME);
	expect(themeFromEnv({TERM: 'dumb'})).toBe(PLAIN_THEME);
	expect(themeFromEnv({NO_COLOR: ''})).toBe(COLOR_THEME);
	expect(themeFromEnv({})).toBe(COLOR_THEME);
});

test('with colours, the dashboard does use escape codes', async () => {
	const ui = await renderDashboard({source: busyFleet(), theme: COLOR_THEME});
	expect(ui.rawFrame()).toContain('\u001B[');
});

test('with NO_COLOR, no frame has an escape code, and the marks still tell what colour told', async () => {
	const ui = await renderDashboard({source: busyFleet(), theme: themeFromEnv({NO_COLOR: '1'})});
	const check = () => expect(ui.rawFrame()).not.toContain('\u001B');
	check();
	expect(ui.frame()).toMatch(/▶ Workers/);
	expect(ui.frame()).toMatch(/^› {2}busy0001/m);
	expect(ui.frame()).toMatch(/^ ! asks0001 NEEDS INPUT/m);
	for (const key of ['?', keys.escape, keys.enter, keys.escape, 'N', keys.escape, 'c', keys.escape, '/', 'x', keys.escape, 'q']) {
		await ui.press(key);
		check();
	}
	for (const frame of ui.frames) expect(frame).not.toContain('\u001B');
});
