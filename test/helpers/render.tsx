import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/app.js';
import type {QuitChoice} from '../../source/ui/controller.js';
import type {FleetSource} from '../../source/ui/fleet-source.js';
import {startFleetSync, type FleetSync} from '../../source/ui/fleet-sync.js';
import {createDashboardStore, type DashboardStore} from '../../source/ui/store.js';
import {COLOR_THEME, type Theme} from '../../source/ui/theme.js';

const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]/g;

export const stripAnsi = (text: string) => text.replace(ANSI, '');

const syncs = new Set<FleetSync>();

/** Unmounts every dashboard a test rendered and stops its fleet sync; for afterEach. */
export function cleanupDashboards(): void {
	for (const sync of syncs) sync.dispose();
	syncs.clear();
	cleanup();
}

/** One macrotask: lets Ink's input parser (it flushes a lone Escape on setImmediate) and React settle. */
export const tick = () => new Promise<void>(resolve => setTimeout(resolve, 0));

export type RenderOptions = {
	source: FleetSource;
	columns?: number;
	rows?: number;
	theme?: Theme;
	defaultCwd?: string;
	/** Leave the store empty (no first snapshot) before the first frame. */
	skipFirstSnapshot?: boolean;
	/** Size the app from the (fake) stdout and its resize events instead of columns and rows. */
	followTerminal?: boolean;
	/** Lets `a` hand the terminal over, as the real dashboard does; without it `a` says how to attach from a shell. */
	onAttach?: (taskId: string) => void;
};

export type DashboardHarness = {
	store: DashboardStore;
	sync: FleetSync;
	/** The last frame without ANSI codes. */
	frame(): string;
	/** The last frame as written, codes and all. */
	rawFrame(): string;
	frames: string[];
	stdout: ReturnType<typeof render>['stdout'];
	/** Sends one key (or a pasted string), waiting a macrotask before and after. */
	press(input: string): Promise<void>;
	/** Types text one character at a time. */
	type(text: string): Promise<void>;
	/** Takes a snapshot and fetches the selected task's output now, as the fleet sync would on its next tick. */
	refresh(): Promise<void>;
	/** How the app quit, once it has. */
	quitChoice(): QuitChoice | undefined;
	unmount(): void;
};

/**
 * Renders the whole dashboard over a fleet source at an explicit size (ink-testing-library's stdout has no rows).
 * The fleet sync's timers are set far apart: tests refresh explicitly, so frames never change under an assertion.
 */
export async function renderDashboard(options: RenderOptions): Promise<DashboardHarness> {
	const store = createDashboardStore();
	const hour = 3_600_000;
	const sync = startFleetSync(options.source, store, {fallbackSnapshotMs: hour, pollSnapshotMs: hour, pollOutputMs: hour, clockMs: hour});
	syncs.add(sync);
	const refresh = async () => {
		await sync.refresh();
		await tick();
	};
	if (!options.skipFirstSnapshot) await refresh();
	let choice: QuitChoice | undefined;
	const instance = render(
		<App
			store={store}
			source={options.source}
			results={sync.results}
			defaultCwd={options.defaultCwd ?? '/work/project'}
			homeDirectory="/home/tester"
			theme={options.theme ?? COLOR_THEME}
			{...(options.followTerminal ? {} : {columns: options.columns ?? 100, rows: options.rows ?? 30})}
			onQuit={how => {
				choice = how;
			}}
			{...(options.onAttach ? {onAttach: options.onAttach} : {})}
		/>,
	);
	await tick();
	return {
		store,
		sync,
		frame: () => stripAnsi(instance.lastFrame() ?? ''),
		rawFrame: () => instance.lastFrame() ?? '',
		frames: instance.frames,
		stdout: instance.stdout,
		async press(input) {
			await tick();
			instance.stdin.write(input);
			await tick();
		},
		async type(text) {
			for (const character of text) {
				await tick();
				instance.stdin.write(character);
			}
			await tick();
		},
		refresh,
		quitChoice: () => choice,
		unmount() {
			sync.dispose();
			instance.unmount();
		},
	};
}
