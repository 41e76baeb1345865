// A small driver for a real terminal: a tmux server of its own (-L), one session whose pane runs a program, keys
// typed into it and its screen read back. It is how the dashboard is tested as a person sees it, and how the
// screenshots and the dashboard benchmark get a terminal.
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';

export type TmuxSessionOptions = {
	/** argv of the pane's program; run directly (no shell), so nothing needs quoting. */
	command: string[];
	columns: number;
	rows: number;
	/** The pane's TERM (tmux's default-terminal): what the program believes it runs in. */
	term?: 'xterm-256color' | 'screen-256color' | 'tmux-256color' | (string & {});
	/** Added to the pane's environment, which otherwise has only PATH, HOME, TMPDIR, USER and LANG=C.UTF-8. */
	env?: Record<string, string>;
	cwd?: string;
	/** Prefix of the -L socket name; a random suffix keeps parallel test files apart. */
	name?: string;
};

export type PaneState = {
	/** The program in the pane has exited (the pane stays, with remain-on-exit, so its screen and status can be read). */
	isDead: boolean;
	exitStatus: number | undefined;
	pid: number;
	columns: number;
	rows: number;
};

export type WaitForTextOptions = {timeoutMs?: number; intervalMs?: number; escapes?: boolean};

export type Tmux = {
	/** The -L socket name, for a person to look in: `tmux -L <name> attach`. */
	readonly socketName: string;
	readonly target: string;
	/** Runs any tmux command against this server and returns what it printed. */
	run(...args: string[]): string;
	/** Types text exactly as given (send-keys -l): no key names are looked up in it. */
	type(text: string): void;
	/** Presses keys by tmux name: 'Enter', 'Escape', 'Tab', 'BTab', 'Up', 'C-]', 'C-c', or single characters. */
	press(...keys: string[]): void;
	/** The visible screen as text, trailing blanks trimmed by tmux. `join`: a line the terminal wrapped comes back whole (-J). */
	capture(options?: {join?: boolean}): string;
	/** The visible screen with its SGR escapes (colours, bold, inverse), as capture-pane -e gives them. */
	captureWithEscapes(): string;
	resize(columns: number, rows: number): void;
	/** Waits until the screen contains `text` (or matches it); the error shows the last screen. */
	waitForText(text: string | RegExp, options?: WaitForTextOptions): Promise<string>;
	/** Waits until `check` holds for the screen; `what` names it in the error. */
	waitForScreen(what: string, check: (screen: string) => boolean, options?: WaitForTextOptions): Promise<string>;
	pane(): PaneState;
	/** Writes everything the program prints from now on to a file (pipe-pane), for counting frames. */
	pipeTo(file: string): void;
	/** Ends the server and everything in it. Idempotent. */
	kill(): void;
};

const DEFAULT_WAIT_MS = 20_000;

/** Starts a tmux server of its own with one detached session running `options.command`. */
export function startTmux(options: TmuxSessionOptions): Tmux {
	const socketName = `${options.name ?? 'ccfleet-test'}-${process.pid}-${randomBytes(3).toString('hex')}`;
	const target = 'main';
	// The server, and so every pane, starts from a minimal environment rather than this process's: CI=true (as CI
	// runs have) makes Ink draw nothing until exit, and a runner's FORCE_COLOR, NO_COLOR, COLUMNS or TMUX would
	// change what is tested. -u: the screen is UTF-8 whatever the locale.
	const clientEnv: Record<string, string> = {PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8'};
	for (const key of ['HOME', 'TMPDIR', 'USER']) if (process.env[key]) clientEnv[key] = process.env[key];
	let isKilled = false;
	const run = (...args: string[]): string =>
		execFileSync('tmux', ['-u', '-L', socketName, '-f', '/dev/null', ...args], {encoding: 'utf8', env: clientEnv, stdio: ['ignore', 'pipe', 'pipe']});

	const envArgs = Object.entries(options.env ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
	// Options go before the session in one invocation: the pane's TERM comes from default-terminal when it is
	// spawned, and remain-on-exit keeps a pane whose program ended so its exit status can be read.
	run(
		'set-option',
		'-g',
		'default-terminal',
		options.term ?? 'xterm-256color',
		';',
		'set-option',
		'-g',
		'remain-on-exit',
		'on',
		';',
		'set-option',
		'-g',
		'history-limit',
		'2000',
		';',
		'set-option',
		'-g',
		'status',
		'off',
		';',
		'new-session',
		'-d',
		'-s',
		target,
		'-x',
		String(options.columns),
		'-y',
		String(options.rows),
		...(options.cwd ? ['-c', options.cwd] : []),
		...envArgs,
		...options.command,
	);

	const capture = (captureOptions: {join?: boolean} = {}) => run('capture-pane', '-p', ...(captureOptions.join ? ['-J'] : []), '-t', target);
	const captureWithEscapes = () => run('capture-pane', '-p', '-e', '-t', target);

	const waitForScreen = async (what: string, check: (screen: string) => boolean, waitOptions: WaitForTextOptions = {}) => {
		const timeoutMs = waitOptions.timeoutMs ?? DEFAULT_WAIT_MS;
		const deadline = Date.now() + timeoutMs;
		let screen: string;
		for (;;) {
			screen = waitOptions.escapes ? captureWithEscapes() : capture();
			if (check(screen)) return screen;
			if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} in tmux; the screen:\n${screen}`);
			await new Promise(resolve => setTimeout(resolve, waitOptions.intervalMs ?? 100));
		}
	};

	return {
		socketName,
		target,
		run,
		type(text) {
			run('send-keys', '-t', target, '-l', text);
		},
		press(...keys) {
			run('send-keys', '-t', target, ...keys);
		},
		capture,
		captureWithEscapes,
		resize(columns, rows) {
			run('resize-window', '-t', target, '-x', String(columns), '-y', String(rows));
		},
		waitForText(text, waitOptions) {
			const check = typeof text === 'string' ? (screen: string) => screen.includes(text) : (screen: string) => text.test(screen);
			return waitForScreen(JSON.stringify(typeof text === 'string' ? text : String(text)), check, waitOptions);
		},
		waitForScreen,
		pane() {
			const [dead, status, pid, columns, rows] = run('display-message', '-p', '-t', target, '#{pane_dead} #{pane_dead_status} #{pane_pid} #{pane_width} #{pane_height}')
				.trim()
				.split(' ');
			return {
				isDead: dead === '1',
				exitStatus: status === '' || status === undefined ? undefined : Number(status),
				pid: Number(pid),
				columns: Number(columns),
				rows: Number(rows),
			};
		},
		pipeTo(file) {
			run('pipe-pane', '-t', target, '-o', `cat >> '${file.replaceAll("'", "'\\''")}'`);
		},
		kill() {
			if (isKilled) return;
			isKilled = true;
			try {
				run('kill-server');
			} catch {
				// already gone: its last session ended
			}
		},
	};
}

/** Whether tmux is on PATH: the tests that need it say so instead of failing obscurely. */
export function hasTmux(): boolean {
	try {
		execFileSync('tmux', ['-V'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

/** The SGR sequences in a capture (ESC [ … m) that set a colour: 30–37, 38;…, 40–47, 48;…, 90–97, 100–107. */
export function colourEscapes(captured: string): string[] {
	const found: string[] = [];
	for (const match of captured.matchAll(/\u001B\[([\d;:]*)m/g)) {
		const codes = (match[1] ?? '').split(/[;:]/).map(Number);
		if (codes.some(code => (code >= 30 && code <= 38) || (code >= 40 && code <= 48) || (code >= 90 && code <= 97) || (code >= 100 && code <= 107))) found.push(match[0]);
	}
	return found;
}
