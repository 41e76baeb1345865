// `npm run screenshots`: the README's pictures of the dashboard, taken from a real run rather than drawn by hand.
// A core of its own runs real claude workers on the mock Anthropic API (busy ones, a dependency graph, one waiting
// for permission); the real dashboard runs in tmux; at a few moments the pane is captured with its SGR escapes
// (capture-pane -e), turned into HTML by the small converter below and rendered to PNG by headless Chromium.
// Needs tmux and Chromium (Debian: apt-get install -y tmux chromium); fonts-symbola draws the few symbols of claude's
// screen that DejaVu lacks (⎿ ⏵), which are boxes without it. Writes screenshots/{dashboard,permission,
// attach,dag}.png; dag.png only once the dashboard has a DAG pane; and web-phone.png, the web page on a phone,
// by running test/http/page-browser.test.ts with SCREENSHOTS=1.
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa} from 'execa';
import {claudeBinary, createClaudeEnv} from '../source/demo/claude-env.js';
import {startMockApi, type PromptScript} from '../source/demo/mock-anthropic-api.js';
import type {TaskView} from '../source/protocol/views.js';
import {hasTmux, startTmux, type Tmux} from '../test/helpers/tmux.js';
import {waitFor} from '../test/helpers/wait-for.js';

const OUTPUT_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));
const binPath = fileURLToPath(new URL('../bin/ccfleet.js', import.meta.url));
/** Wide enough for the side-by-side layout with room for the prompts in the Workers pane. */
const COLUMNS = 160;
const ROWS = 44;
const MAX_WORKERS = 5;

// The picture's look: a dark terminal in DejaVu Sans Mono (Debian's fonts-dejavu-core, which chromium pulls in).
const FONT_PX = 15;
/** DejaVu Sans Mono's advance is 1233/2048 of an em. */
const CELL_WIDTH_PX = FONT_PX * (1233 / 2048);
const LINE_HEIGHT_PX = 20;
const PADDING_PX = 14;
const BACKGROUND = '#14161b';
const FOREGROUND = '#d4d7dd';
/** The 16 ANSI colours; chalk's `gray` (bright black) must stay readable on the background. */
const PALETTE_16 = [
	'#1c1f24',
	'#e06c75',
	'#98c379',
	'#e5c07b',
	'#61afef',
	'#c678dd',
	'#56b6c2',
	'#d7dae0',
	'#7f848e',
	'#ff7b86',
	'#b5e890',
	'#ffd68a',
	'#82c4ff',
	'#de9bf0',
	'#7fd6e0',
	'#ffffff',
];

// ANSI to HTML ------------------------------------------------------------------------------------------------

type Style = {fg?: string; bg?: string; bold: boolean; dim: boolean; italic: boolean; underline: boolean; inverse: boolean; strike: boolean};

const PLAIN: Style = {bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false};

/** xterm's 256 colours: the 16, a 6x6x6 cube, 24 greys. */
function colour256(index: number): string | undefined {
	if (!Number.isInteger(index) || index < 0 || index > 255) return undefined;
	if (index < 16) return PALETTE_16[index];
	if (index < 232) {
		const levels = [0, 95, 135, 175, 215, 255];
		const n = index - 16;
		return rgb(levels[Math.floor(n / 36)]!, levels[Math.floor(n / 6) % 6]!, levels[n % 6]!);
	}
	const grey = 8 + (index - 232) * 10;
	return rgb(grey, grey, grey);
}

function rgb(r: number, g: number, b: number): string {
	return `#${[r, g, b].map(value => Math.max(0, Math.min(255, value)).toString(16).padStart(2, '0')).join('')}`;
}

/** Applies one SGR sequence's parameters (`1;38;5;6`, or `38:2::r:g:b` with colons) to a style. */
function applySgr(style: Style, parameters: string): Style {
	const next = {...style};
	// Colons separate the sub-parameters of one colour; semicolons separate parameters (and colours, the old way).
	const codes: Array<number | string> = parameters === '' ? [0] : parameters.split(';').map(part => (part.includes(':') ? part : Number(part)));
	for (let i = 0; i < codes.length; i++) {
		const code = codes[i]!;
		if (typeof code === 'string') {
			// 38:5:n, 38:2:r:g:b or 38:2:colourspace:r:g:b
			const [kind, mode, ...rest] = code.split(':').map(part => (part === '' ? undefined : Number(part)));
			const values = rest.filter((value): value is number => value !== undefined);
			const colour = mode === 5 ? colour256(values[0] ?? -1) : mode === 2 && values.length >= 3 ? rgb(...(values.slice(-3) as [number, number, number])) : undefined;
			if (kind === 38) next.fg = colour;
			else if (kind === 48) next.bg = colour;
			continue;
		}
		if (code === 38 || code === 48) {
			const mode = codes[i + 1];
			let colour: string | undefined;
			if (mode === 5) {
				colour = colour256(Number(codes[i + 2]));
				i += 2;
			} else if (mode === 2) {
				colour = rgb(Number(codes[i + 2]), Number(codes[i + 3]), Number(codes[i + 4]));
				i += 4;
			}
			if (code === 38) next.fg = colour;
			else next.bg = colour;
			continue;
		}
		if (code === 0) Object.assign(next, PLAIN, {fg: undefined, bg: undefined});
		else if (code === 1) next.bold = true;
		else if (code === 2) next.dim = true;
		else if (code === 3) next.italic = true;
		else if (code === 4) next.underline = true;
		else if (code === 7) next.inverse = true;
		else if (code === 9) next.strike = true;
		else if (code === 22) next.bold = next.dim = false;
		else if (code === 23) next.italic = false;
		else if (code === 24) next.underline = false;
		else if (code === 27) next.inverse = false;
		else if (code === 29) next.strike = false;
		else if (code >= 30 && code <= 37) next.fg = PALETTE_16[code - 30];
		else if (code === 39) next.fg = undefined;
		else if (code >= 40 && code <= 47) next.bg = PALETTE_16[code - 40];
		else if (code === 49) next.bg = undefined;
		else if (code >= 90 && code <= 97) next.fg = PALETTE_16[code - 90 + 8];
		else if (code >= 100 && code <= 107) next.bg = PALETTE_16[code - 100 + 8];
	}
	return next;
}

function css(style: Style): string {
	let fg = style.fg ?? FOREGROUND;
	let bg = style.bg;
	if (style.inverse) [fg, bg] = [bg ?? BACKGROUND, fg];
	const rules = [`color:${fg}`];
	if (bg) rules.push(`background:${bg}`);
	if (style.bold) rules.push('font-weight:bold');
	if (style.dim) rules.push('opacity:.6');
	if (style.italic) rules.push('font-style:italic');
	const lines = [style.underline ? 'underline' : '', style.strike ? 'line-through' : ''].filter(Boolean);
	if (lines.length > 0) rules.push(`text-decoration:${lines.join(' ')}`);
	return rules.join(';');
}

function escapeHtml(text: string): string {
	return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * A capture-pane -e screen as an HTML page: one <span> per run of one style. The style carries over line ends, as
 * it would in a terminal printing the capture. Escapes other than SGR (tmux emits none in a capture) are dropped.
 */
export function ansiToHtml(screen: string, rows: number): string {
	let style: Style = {...PLAIN};
	const lines = screen.replace(/\n$/, '').split('\n').slice(0, rows);
	const body = lines
		.map(line => {
			let html = '';
			let last = 0;
			const flush = (text: string) => {
				if (text === '') return;
				const rule = css(style);
				html += rule === `color:${FOREGROUND}` ? escapeHtml(text) : `<span style="${rule}">${escapeHtml(text)}</span>`;
			};
			for (const match of line.matchAll(/\u001B\[([\d;:]*)([A-Za-z])|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/g)) {
				flush(line.slice(last, match.index));
				last = match.index + match[0].length;
				if (match[2] === 'm') style = applySgr(style, match[1] ?? '');
			}
			flush(line.slice(last));
			return html;
		})
		.join('\n');
	return `<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: ${BACKGROUND}; }
pre { margin: 0; padding: ${PADDING_PX}px; color: ${FOREGROUND}; font: ${FONT_PX}px/${LINE_HEIGHT_PX}px 'DejaVu Sans Mono', Symbola, monospace; white-space: pre; }
</style></head><body><pre>${body}</pre></body></html>
`;
}

// Chromium ----------------------------------------------------------------------------------------------------

function findChromium(): string | undefined {
	const candidates = [process.env['CHROMIUM'], 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
	for (const candidate of candidates) {
		if (!candidate) continue;
		const found = spawnSync('sh', ['-c', 'command -v "$0"', candidate], {encoding: 'utf8'});
		if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
	}
	return undefined;
}

function renderPng(chromium: string, html: string, png: string, columns: number, rows: number, scratch: string): void {
	const htmlFile = path.join(scratch, `${path.basename(png, '.png')}.html`);
	writeFileSync(htmlFile, html);
	const width = Math.ceil(columns * CELL_WIDTH_PX) + 2 * PADDING_PX + 2;
	const height = rows * LINE_HEIGHT_PX + 2 * PADDING_PX;
	execFileSync(
		chromium,
		[
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
			'--hide-scrollbars',
			`--user-data-dir=${path.join(scratch, 'chromium-profile')}`,
			`--window-size=${width},${height}`,
			`--screenshot=${png}`,
			`file://${htmlFile}`,
		],
		{stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000},
	);
}

// The scenario ------------------------------------------------------------------------------------------------

/** What each task is told, as a person would write it, and what the mock does with it (kept off the screen). */
const PROMPTS = {
	refactor: {text: 'Refactor the config loader to validate every key', script: '[[slow:120000]]'},
	tests: {text: 'Write integration tests for the billing webhooks', script: '[[slow:120000]]'},
	design: {text: 'Design the cache layer for the API', script: '[[slow:120000]]'},
	measure: {text: 'Benchmark the storage engine under load', script: '[[slow:120000]]'},
	lint: {text: 'Run the linter and fix its findings', script: '[[tool:bash:npm run lint --fix]]'},
	build: {text: 'Implement the cache layer from the design', script: '[[slow:60000]]'},
	docs: {text: 'Document the cache layer and its settings', script: '[[slow:60000]]'},
	changelog: {text: 'Update the changelog for 0.4', script: '[[slow:60000]]'},
} as const;

/** A core of its own (a daemon) on the mock API, scripted beside the prompts, and the CLI to hand it tasks. */
type Fleet = {
	env: Record<string, string>;
	project: string;
	delegate(prompt: string, ...flags: string[]): Promise<string>;
	status(id: string): Promise<TaskView>;
	close(): Promise<void>;
};

async function startFleet(scratch: string): Promise<Fleet> {
	const scripts: PromptScript[] = Object.values(PROMPTS).map(prompt => ({match: prompt.text, directives: prompt.script}));
	const mock = await startMockApi({scripts});
	const project = path.join(scratch, 'project');
	const home = path.join(scratch, 'state');
	mkdirSync(project, {recursive: true});
	const claude = createClaudeEnv({mockUrl: mock.url, trustedDirs: [project]});
	const env: Record<string, string> = {
		...(Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(ANTHROPIC_|CCFLEET_|CLAUDE_|TMUX)/.test(key))) as Record<string, string>),
		...claude.env,
		CCFLEET_HOME: home,
		CCFLEET_CLAUDE_BIN: claudeBinary(),
		CCFLEET_MAX_WORKERS: String(MAX_WORKERS),
		CCFLEET_STAGGER_MS: '100',
		CCFLEET_CPU_THRESHOLD: '100',
	};
	// stdin closed: with a pipe left open, delegate would wait to read a prompt from it.
	const cli = async (args: string[]) => execa(process.execPath, [binPath, ...args], {cwd: project, env, input: '', reject: false, timeout: 120_000});
	const daemon: ChildProcess = spawn(process.execPath, [binPath, '--daemon'], {cwd: project, env, stdio: ['ignore', 'ignore', 'pipe']});
	let log = '';
	daemon.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
	await waitFor(`the daemon to be ready (log so far: ${log})`, () => log.includes('ccfleet daemon ready') || daemon.exitCode !== null, 30_000);
	if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${log}`);
	console.log('screenshots: the core is ready; handing it the tasks…');
	return {
		env,
		project,
		async delegate(prompt, ...flags) {
			const {stdout, stderr, exitCode} = await cli(['delegate', '--json', ...flags, prompt]);
			if (exitCode !== 0) throw new Error(`delegate failed: ${stderr}`);
			return (JSON.parse(stdout) as TaskView).id;
		},
		async status(id) {
			return JSON.parse((await cli(['status', id, '--json'])).stdout) as TaskView;
		},
		async close() {
			daemon.kill('SIGTERM');
			await waitFor('the daemon to stop', () => !existsSync(path.join(home, 'ccfleet.lock')) || daemon.exitCode !== null, 15_000).catch(() => undefined);
			await mock.close();
			claude.cleanup();
		},
	};
}

/** Presses tab (or shift-tab) until the pane titled `title` has the focus (`▶ title`); false if no pane of that name comes round. */
async function focusPane(tmux: Tmux, title: string, key: 'Tab' | 'BTab'): Promise<boolean> {
	const isFocused = () => new RegExp(`▶ ${title}\\b`).test(tmux.capture());
	for (let presses = 0; presses < 8; presses++) {
		if (isFocused()) return true;
		tmux.press(key);
		await new Promise(resolve => setTimeout(resolve, 400));
	}
	return isFocused();
}

async function main(): Promise<number> {
	const chromium = findChromium();
	if (!chromium) {
		console.error(
			'screenshots: Chromium is not installed; it renders the captured screens to PNG.\n' +
				'  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n' +
				'  elsewhere: install Chromium or Chrome, or point CHROMIUM=/path/to/chrome at one.',
		);
		return 1;
	}
	if (!hasTmux()) {
		console.error('screenshots: tmux is not installed; the dashboard runs in it. Debian/Ubuntu: sudo apt-get install -y tmux');
		return 1;
	}
	mkdirSync(OUTPUT_DIR, {recursive: true});
	const scratch = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-screenshots-'));
	let fleet: Fleet | undefined;
	let tmux: Tmux | undefined;
	const written: string[] = [];
	const shoot = (name: string, screen: string) => {
		const png = path.join(OUTPUT_DIR, `${name}.png`);
		writeFileSync(path.join(scratch, `${name}.ansi`), screen);
		renderPng(chromium, ansiToHtml(screen, ROWS), png, COLUMNS, ROWS, scratch);
		written.push(png);
		console.log(`screenshots: ${path.relative(process.cwd(), png)}`);
	};
	try {
		console.log('screenshots: starting a core with real claude workers on the mock API…');
		fleet = await startFleet(scratch);
		const busy = await fleet.delegate(PROMPTS.refactor.text);
		await fleet.delegate(PROMPTS.tests.text);
		const design = await fleet.delegate(PROMPTS.design.text, '--priority', 'P0');
		const measure = await fleet.delegate(PROMPTS.measure.text, '--priority', 'P0');
		const waiting = await fleet.delegate(PROMPTS.lint.text, '--permission-mode', 'default');
		const build = await fleet.delegate(PROMPTS.build.text, '--depends-on', `${design},${measure}`);
		await fleet.delegate(PROMPTS.docs.text, '--depends-on', build);
		await fleet.delegate(PROMPTS.changelog.text, '--priority', 'P2');
		await waitFor('the waiting worker', async () => (await fleet!.status(waiting)).status === 'needs_input', 90_000, 500);

		tmux = startTmux({
			name: 'ccfleet-screenshots',
			command: [process.execPath, binPath],
			columns: COLUMNS,
			rows: ROWS,
			term: 'xterm-256color',
			cwd: fleet.project,
			env: fleet.env,
		});
		await tmux.waitForText(`workers ${MAX_WORKERS}/${MAX_WORKERS}`, {timeoutMs: 30_000});
		// The first row of Workers is the oldest live worker; its live claude screen fills the Output pane.
		tmux.press('g');
		await tmux.waitForScreen("the busy worker's live screen", screen => screen.includes(`${busy} · live screen`) && screen.includes('Refactor the config'), {
			timeoutMs: 30_000,
		});
		// Let the spinners and the elapsed times move on a little, as they would in use.
		await new Promise(resolve => setTimeout(resolve, 1500));
		shoot('dashboard', tmux.captureWithEscapes());

		tmux.press('i');
		await tmux.waitForScreen(
			'the permission dialog in the Output pane',
			screen => screen.includes(`${waiting} waits for an answer`) && screen.includes('Do you want to proceed?'),
			{timeoutMs: 30_000},
		);
		shoot('permission', tmux.captureWithEscapes());

		tmux.press('a');
		await tmux.waitForScreen(
			"the worker's own screen",
			screen => !screen.includes('▶ Workers') && !screen.includes('  Workers') && screen.includes('Do you want to proceed?'),
			{timeoutMs: 30_000},
		);
		shoot('attach', tmux.captureWithEscapes());
		tmux.press('C-]');
		await tmux.waitForText(`Detached from ${waiting}`, {timeoutMs: 15_000});

		// The DAG pane follows the selected task: select the middle of the graph in the Queue, then focus the DAG pane
		// (if this dashboard has one) backwards with shift-tab, so that no other list takes the selection on the way.
		if (await focusPane(tmux, 'Queue', 'Tab')) {
			const isSelected = () => new RegExp(`^› +(#\\S+|wait) +P\\d ${build}`, 'm').test(tmux!.capture());
			for (let presses = 0; presses < 10 && !isSelected(); presses++) {
				tmux.press('j');
				await new Promise(resolve => setTimeout(resolve, 300));
			}
		}
		if (await focusPane(tmux, 'DAG', 'BTab')) {
			await new Promise(resolve => setTimeout(resolve, 1000));
			shoot('dag', tmux.captureWithEscapes());
		} else {
			console.log('screenshots: skipped dag.png: this dashboard has no DAG pane to focus with tab yet.');
		}

		tmux.press('q');
		await tmux.waitForText('Quit?');
		tmux.press('s');
		// The pictures are taken; a dashboard slow to quit is worth saying, not failing for (tmux is killed below).
		const quit = await waitFor('the dashboard to quit', () => tmux!.pane().isDead, 30_000, 200).catch(() => false);
		if (!quit) console.log(`screenshots: note: the dashboard had not exited 30 s after q, s; its screen:\n${tmux.capture().trimEnd()}`);
		// The web page's phone picture is taken by its browser test, at the moment two real questions wait on the page.
		await execa('npx', ['vitest', 'run', 'test/http/page-browser.test.ts', '-t', 'questions'], {env: {SCREENSHOTS: '1'}, stdio: 'inherit', cwd: path.dirname(OUTPUT_DIR)});
		written.push(path.join(OUTPUT_DIR, 'web-phone.png'));
		console.log(`screenshots: wrote ${written.length} PNG${written.length === 1 ? '' : 's'} (${COLUMNS}x${ROWS} terminal; web-phone.png 390x844 at 2x).`);
		return 0;
	} finally {
		tmux?.kill();
		await fleet?.close();
		rmSync(scratch, {recursive: true, force: true});
	}
}

const code = await main().catch((error: unknown) => {
	console.error(`screenshots: ${error instanceof Error ? error.message : String(error)}`);
	return 1;
});
// The mock's [[slow:…]] replies still hold their timers after it closed; they would keep the process for minutes.
process.exit(code);
