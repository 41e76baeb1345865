import {createContext, useContext} from 'react';
import type {TaskStatus} from '../core/domain/task.js';

/** The props of Ink's <Text> a theme may set. */
export type TextStyle = {color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean; underline?: boolean};

/**
 * Every style the dashboard uses, by role. Meaning never rests on style alone: a selected row has `›`, a worker that
 * needs input has `!`, the focused pane has `▶`, so the plain theme (NO_COLOR) loses nothing but colour.
 */
export type Theme = {
	isColor: boolean;
	paneTitle: TextStyle;
	focusedPaneTitle: TextStyle;
	/** The selected row of the focused pane. */
	selected: TextStyle;
	needsInput: TextStyle;
	muted: TextStyle;
	key: TextStyle;
	error: TextStyle;
	success: TextStyle;
	warning: TextStyle;
	/** Partial so that a status the core adds later falls back to plain text instead of breaking the build. */
	status: Partial<Record<TaskStatus, TextStyle>>;
};

export const COLOR_THEME: Theme = {
	isColor: true,
	paneTitle: {bold: true},
	focusedPaneTitle: {bold: true, color: 'cyan'},
	selected: {inverse: true},
	needsInput: {color: 'yellow', bold: true},
	muted: {dimColor: true},
	key: {color: 'cyan', bold: true},
	error: {color: 'red'},
	success: {color: 'green'},
	warning: {color: 'yellow'},
	status: {
		queued: {color: 'gray'},
		running: {color: 'cyan'},
		needs_input: {color: 'yellow', bold: true},
		// Waits for the usage limit's reset and goes on by itself: a warning, not a call for the user.
		parked: {color: 'yellow'},
		completed: {color: 'green'},
		failed: {color: 'red'},
		cancelled: {color: 'magenta'},
		skipped: {color: 'gray'},
	},
};

/** No escape sequences at all: what NO_COLOR asks for, and what a dumb terminal can show. */
export const PLAIN_THEME: Theme = {
	isColor: false,
	paneTitle: {},
	focusedPaneTitle: {},
	selected: {},
	needsInput: {},
	muted: {},
	key: {},
	error: {},
	success: {},
	warning: {},
	status: {},
};

/**
 * NO_COLOR (https://no-color.org: set and not empty) or TERM=dumb gives the plain theme. Ink's chalk does not read
 * NO_COLOR itself, so the dashboard must not ask for styles in the first place.
 */
export function themeFromEnv(env: NodeJS.ProcessEnv): Theme {
	if ((env['NO_COLOR'] ?? '') !== '' || env['TERM'] === 'dumb') return PLAIN_THEME;
	return COLOR_THEME;
}

export const ThemeContext = createContext<Theme>(COLOR_THEME);

export function useTheme(): Theme {
	return useContext(ThemeContext);
}
