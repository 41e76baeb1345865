import os from 'node:os';
import {render} from 'ink';
import type {Config} from '../config.js';
import {connectFleet} from '../cli/client.js';
import {App} from './app.js';
import {watchForBell} from './bell.js';
import type {QuitChoice} from './controller.js';
import {createMcpFleetSource} from './fleet-source.js';
import {startFleetSync} from './fleet-sync.js';
import {createDashboardStore, setStatus, type DashboardStore} from './store.js';
import {attachTerminal} from '../attach/attach-client.js';
import {themeFromEnv} from './theme.js';
import {messageOf} from '../core/domain/errors.js';

/** Ceiling on frames per second. The fleet sync already paces updates (at most 10 flushes and 4 outputs a second); this is the last guard. */
const MAX_FPS = 20;
/** The core records actions of this client as made by `dashboard`. */
const DASHBOARD_CLIENT_NAME = 'ccfleet-dashboard';
// Ink 6.8 has no alternate-screen option; these are xterm's (also tmux's and every terminal over ssh).
const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';

/** Runs a worker's own screen in this terminal until Ctrl-] or its end, then says how it went in the status bar. */
async function attachFromDashboard(config: Config, store: DashboardStore, taskId: string): Promise<void> {
	process.stdout.write('\u001B[2J\u001B[H');
	try {
		const how = await attachTerminal(config.attachSocketPath, taskId, {stdin: process.stdin, stdout: process.stdout});
		setStatus(store, how === 'detached' ? `Detached from ${taskId}; it goes on running.` : `${taskId} ended while attached.`, 'success');
	} catch (error) {
		setStatus(store, `Could not attach to ${taskId}: ${messageOf(error)}`, 'error');
	}
	process.stdout.write('\u001B[2J\u001B[H');
}

export type DashboardOptions = {
	/** Shown first in the header for the whole session (the demo says what it is). */
	banner?: string;
	/** The core lives in this process and ends with it (the demo): the quit question and message say so. */
	isEphemeralCore?: boolean;
	/** The directory the new-task form offers; default the working directory. */
	defaultCwd?: string;
};

/** `ccfleet`: the dashboard, a client of the core (started in the background if none runs). */
export async function runDashboard(config: Config, options: DashboardOptions = {}): Promise<number> {
	const client = await connectFleet(config, {name: DASHBOARD_CLIENT_NAME});
	// Reconnects never start a daemon: that would write to the terminal under the dashboard. The status bar says
	// the core is gone, and the dashboard picks it up again once one runs.
	const source = createMcpFleetSource(client, {reconnect: () => connectFleet(config, {name: DASHBOARD_CLIENT_NAME, startDaemon: false})});
	const store = createDashboardStore({
		...(options.banner ? {banner: options.banner} : {}),
		...(options.isEphemeralCore ? {isEphemeralCore: true} : {}),
	});
	const sync = startFleetSync(source, store);
	// BEL: the terminal (or tmux) tells the person in whatever window they are; CCFLEET_BELL=0 keeps it quiet.
	const stopBell = config.notify.bell ? watchForBell(store, () => process.stdout.write('\u0007')) : undefined;
	const {stdout} = process;
	// The alternate screen keeps hours of redraws out of the scrollback and gives the shell its screen back on exit.
	const useAlternateScreen = stdout.isTTY;
	const leaveAlternateScreen = () => {
		if (useAlternateScreen) stdout.write(LEAVE_ALTERNATE_SCREEN);
	};
	if (useAlternateScreen) {
		stdout.write(ENTER_ALTERNATE_SCREEN);
		// Also on a crash or a signal, or the shell is left on a screen it does not know.
		process.once('exit', leaveAlternateScreen);
	}
	let choice: QuitChoice = 'leave';
	try {
		// The app unmounts to hand the terminal to an attached worker and is drawn again when the person detaches.
		for (;;) {
			let attachTo: string | undefined;
			const app = render(
				<App
					store={store}
					source={source}
					results={sync.results}
					defaultCwd={options.defaultCwd ?? process.cwd()}
					homeDirectory={os.homedir()}
					theme={themeFromEnv(process.env)}
					onQuit={how => {
						choice = how;
					}}
					onAttach={taskId => {
						attachTo = taskId;
					}}
				/>,
				{
					// Ctrl+C goes through the same quit as `q`, which asks about running workers.
					exitOnCtrlC: false,
					// Ink 6.8's incremental mode moves the cursor up one line too few when the frame ends in a newline (any
					// frame shorter than the terminal, which ours must be): every redraw lands one row low. The standard
					// mode erases and rewrites the frame inside a synchronized update (DEC 2026), which is what keeps it
					// from flickering; frames come only when something shown changed, at most about ten times a second.
					incrementalRendering: false,
					maxFps: MAX_FPS,
					patchConsole: true,
				},
			);
			await app.waitUntilExit();
			app.cleanup();
			if (attachTo === undefined) break;
			await attachFromDashboard(config, store, attachTo);
		}
	} finally {
		stopBell?.();
		sync.dispose();
		leaveAlternateScreen();
		process.off('exit', leaveAlternateScreen);
		await source.close();
	}
	const running = store.getState().snapshot?.fleet.workers.running ?? 0;
	if (choice === 'leave' && running > 0 && !options.isEphemeralCore) {
		process.stdout.write(`ccfleet: ${running} worker${running === 1 ? '' : 's'} left running in the background core (pid file ${config.lockPath}).\n`);
	}
	return 0;
}
