// `npx tsx bench/dashboard.ts [--cpu-prof]`: what the dashboard costs, itself and the core it reads from, while 16
// workers each print about 20 KB/s (the fake claude's [[fake:spew=SECONDS]]). The real dashboard runs in tmux, so it
// has a real terminal. Over a steady window this measures the dashboard's CPU (utime+stime from /proc/<pid>/stat),
// its RSS (VmRSS) and its frames per second (Ink's synchronized-update starts, ESC[?2026h, in what tmux's pipe-pane
// saw it write), and the core's CPU both before the dashboard starts and while it is attached (the difference is what
// serving the dashboard costs the core). Then it measures how long a change in the core takes to reach the screen:
// it submits a task (queued: every worker is busy), changes its priority and cancels it over MCP, and times each
// change until tmux shows it. Printed, not asserted. Targets: dashboard CPU under 10% of one core, core under 5%,
// RSS under 200 MB, at most 15 fps, change to screen under 150 ms at the median.
// --cpu-prof: the dashboard runs under node --cpu-prof, and where its CPU went in the window is listed (by package and
// by function). KEY=VALUE arguments go into the dashboard's environment, for experiments (NODE_ENV=production).
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {loadConfig} from '../source/config.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';
import {hasTmux, startTmux, type Tmux} from '../test/helpers/tmux.js';
import {waitFor} from '../test/helpers/wait-for.js';

const WORKERS = 16;
/** Long enough to outlast the start, both warm-ups and windows, and the latency rounds (every probe must wait in the queue). */
const SPEW_SECONDS = 170;
const WARM_UP_MS = 4000;
const WINDOW_MS = 15_000;
/** The core alone with its workers, measured after the same warm-up, as the reference for what the dashboard adds. */
const CORE_ALONE_MS = 10_000;
const COLUMNS = 160;
const ROWS = 44;
const TARGETS = {cpuPercent: 10, coreCpuPercent: 5, rssMb: 200, fps: 15, latencyP50Ms: 150};
/** Changes timed from the core to the screen: each round submits a task, reprioritizes it and cancels it. */
const LATENCY_ROUNDS = 20;
/** How often the screen is read while a change is awaited; tmux's capture-pane takes a few ms itself. */
const SCREEN_POLL_MS = 5;
/** Ink wraps every frame in a synchronized update (DEC mode 2026) when stdout is a terminal. */
const FRAME_START = '\u001B[?2026h';

const binPath = fileURLToPath(new URL('../bin/ccfleet.js', import.meta.url));
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));
const profiling = process.argv.includes('--cpu-prof');
const dashboardEnv = Object.fromEntries(
	process.argv
		.slice(2)
		.filter(arg => /^[A-Z_][A-Z0-9_]*=/.test(arg))
		.map(arg => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]),
);
const clockTicks = 100; // USER_HZ: 100 on every Linux the project runs on (getconf CLK_TCK)

/** CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

function rssMb(pid: number): number {
	const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The core's pid, from the state directory's lock file (whichever process took it, however it was started). */
function corePid(lockPath: string): number {
	return (JSON.parse(readFileSync(lockPath, 'utf8')) as {pid: number}).pid;
}

/** Percent of one core the process used while `during` ran. */
async function cpuPercentDuring(pid: number, during: () => Promise<void>): Promise<number> {
	const startCpu = cpuSeconds(pid);
	const started = performance.now();
	await during();
	return ((cpuSeconds(pid) - startCpu) / ((performance.now() - started) / 1000)) * 100;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Ms from `change()` being sent until the screen satisfies `isShown`; the screen is read every SCREEN_POLL_MS. */
async function timeToScreen(tmux: Tmux, what: string, change: () => Promise<unknown>, isShown: (screen: string) => boolean): Promise<number> {
	const started = performance.now();
	await change();
	await tmux.waitForScreen(what, isShown, {timeoutMs: 10_000, intervalMs: SCREEN_POLL_MS});
	return performance.now() - started;
}

function countOccurrences(haystack: string, needle: string): number {
	let count = 0;
	for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
	return count;
}

async function tool<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
	const result = (await client.callTool({name, arguments: args})) as {isError?: boolean; structuredContent?: unknown; content?: Array<{text?: string}>};
	if (result.isError) throw new Error(`${name}: ${result.content?.map(part => part.text).join(' ')}`);
	return result.structuredContent as T;
}

type ProfileNode = {id: number; callFrame: {functionName: string; url: string; lineNumber: number}};
type CpuProfile = {nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]};

/** The package (or source file, or V8's own category) a frame belongs to. */
function ownerOf(frame: ProfileNode['callFrame']): string {
	if (frame.functionName.startsWith('(')) return frame.functionName;
	const url = frame.url.replace(/^file:\/\//, '');
	const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (inModules) return inModules[1]!;
	if (url.startsWith('node:')) return 'node internals';
	if (url.includes('/source/')) return url.slice(url.indexOf('/source/') + 1);
	return url === '' ? '(native)' : url;
}

/**
 * Self time in the profile between `fromMs` and `toMs` after its start, by owner and by function, the largest first,
 * as percentages of one core over that span.
 */
function summarizeProfile(profileFile: string, fromMs: number, toMs: number, count: number): string[] {
	const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map(node => [node.id, node]));
	const byOwner = new Map<string, number>();
	const byFunction = new Map<string, number>();
	let at = 0;
	profile.samples.forEach((id, index) => {
		at += profile.timeDeltas[index] ?? 0;
		if (at < fromMs * 1000 || at > toMs * 1000) return;
		const frame = byId.get(id)!.callFrame;
		if (frame.functionName === '(idle)') return;
		const delta = profile.timeDeltas[index + 1] ?? 0;
		const owner = ownerOf(frame);
		byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
		const key = `${frame.functionName || '(anonymous)'} ${owner}:${frame.lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
	});
	const span = (toMs - fromMs) * 1000;
	const list = (map: Map<string, number>) =>
		[...map]
			.sort((a, b) => b[1] - a[1])
			.slice(0, count)
			.map(([key, micros]) => `    ${((micros / span) * 100).toFixed(1).padStart(5)}%  ${key}`);
	return ['  by package or file:', ...list(byOwner), '  by function:', ...list(byFunction)];
}

if (!hasTmux()) {
	console.error('bench/dashboard: tmux is not installed; the dashboard needs a real terminal. Debian/Ubuntu: apt-get install -y tmux');
	process.exit(1);
}

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-dash-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-frames-'));
const env: Record<string, string> = {CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_MAX_WORKERS: String(WORKERS), CCFLEET_STAGGER_MS: '0'};
const config = loadConfig({...process.env, ...env});
let daemon: ChildProcess | undefined;
let tmux: Tmux | undefined;
let closeClient: (() => Promise<void>) | undefined;
try {
	// The core in a process of its own, as in use: the 16 workers' output is its work, not the dashboard's.
	daemon = spawn(process.execPath, [binPath, '--daemon'], {cwd, env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']});
	let log = '';
	daemon.stderr!.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	await waitFor(`the daemon (log: ${log})`, () => log.includes('ccfleet daemon ready') || daemon!.exitCode !== null, 30_000);
	if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${log}`);
	const connection = await connectMcpClient(config.socketPath, {name: 'bench'});
	closeClient = connection.close;
	const {client} = connection;
	for (let i = 0; i < WORKERS; i++) await tool(client, 'delegate_task', {prompt: `Spew ${i + 1} [[fake:spew=${SPEW_SECONDS}]]`, cwd});
	await waitFor(`${WORKERS} running workers`, async () => (await tool<{workers: {running: number}}>(client, 'fleet_status', {})).workers.running === WORKERS, 30_000, 200);
	const coreId = corePid(config.lockPath);
	await new Promise(resolve => setTimeout(resolve, WARM_UP_MS));
	const coreAlonePercent = await cpuPercentDuring(coreId, () => new Promise(resolve => setTimeout(resolve, CORE_ALONE_MS)));

	const frames = path.join(scratch, 'dashboard.out');
	const profileDir = path.join(scratch, 'profile');
	tmux = startTmux({
		name: 'ccfleet-bench',
		command: [process.execPath, ...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), binPath],
		columns: COLUMNS,
		rows: ROWS,
		term: 'xterm-256color',
		cwd,
		env: {...env, ...dashboardEnv},
	});
	const dashboardStarted = performance.now();
	tmux.pipeTo(frames);
	const pid = tmux.pane().pid;
	await tmux.waitForText(`workers ${WORKERS}/${WORKERS}`, {timeoutMs: 30_000});
	// The first worker is selected, so the Output pane follows a live, spewing screen: the busiest the dashboard gets.
	await tmux.waitForText('live screen', {timeoutMs: 15_000});
	await new Promise(resolve => setTimeout(resolve, WARM_UP_MS));

	const startBytes = statSync(frames).size;
	const startCpu = cpuSeconds(pid);
	const startCoreCpu = cpuSeconds(coreId);
	const started = performance.now();
	const rss: number[] = [];
	while (performance.now() - started < WINDOW_MS) {
		rss.push(rssMb(pid));
		await new Promise(resolve => setTimeout(resolve, 500));
	}
	const ended = performance.now();
	const seconds = (ended - started) / 1000;
	const cpuPercent = ((cpuSeconds(pid) - startCpu) / seconds) * 100;
	const coreCpuPercent = ((cpuSeconds(coreId) - startCoreCpu) / seconds) * 100;
	rss.push(rssMb(pid));
	const written = readFileSync(frames).subarray(startBytes).toString('latin1');
	const fps = countOccurrences(written, FRAME_START) / seconds;
	const stillRunning = (await tool<{workers: {running: number}}>(client, 'fleet_status', {})).workers.running;

	const maxRss = Math.max(...rss);
	const verdict = (value: number, target: number, unit: string) =>
		value <= target
			? `ok, target < ${target}${unit}`
			: `MISSED target < ${target}${unit} by ${(value - target).toFixed(1)}${unit} (${((value / target - 1) * 100).toFixed(0)}% over)`;
	console.log(
		`dashboard with ${WORKERS} workers printing ~20 KB/s each (${stillRunning} still running at the end), ${COLUMNS}x${ROWS} tmux, ${seconds.toFixed(1)} s window` +
			`${
				Object.keys(dashboardEnv).length > 0
					? `, dashboard env ${Object.entries(dashboardEnv)
							.map(([key, value]) => `${key}=${value}`)
							.join(' ')}`
					: ''
			}:`,
	);
	console.log(`  CPU ${cpuPercent.toFixed(1)}% of one core (${verdict(cpuPercent, TARGETS.cpuPercent, '%')})`);
	console.log(`  RSS ${maxRss.toFixed(0)} MB peak, ${rss.at(-1)!.toFixed(0)} MB at the end (${verdict(maxRss, TARGETS.rssMb, ' MB')})`);
	console.log(`  ${fps.toFixed(1)} frames/s (${verdict(fps, TARGETS.fps, ' fps')}), ${(written.length / seconds / 1024).toFixed(1)} KB/s to the terminal`);
	console.log(
		`  core CPU ${coreCpuPercent.toFixed(1)}% of one core with the dashboard attached (${verdict(coreCpuPercent, TARGETS.coreCpuPercent, '%')}); ` +
			`${coreAlonePercent.toFixed(1)}% before it started (the core's own work for the workers)`,
	);

	// The Queue pane lists the probe (every worker is busy, so it waits); the change is on its row.
	const latencies: Record<'created' | 'reprioritized' | 'cancelled', number[]> = {created: [], reprioritized: [], cancelled: []};
	const rowOf = (screen: string, marker: string) => screen.split('\n').find(line => line.includes(marker) && /(?:#\d+|wait)\s+P[0-2] /.test(line));
	for (let round = 0; round < LATENCY_ROUNDS; round++) {
		const marker = `latency-probe-${String(round).padStart(3, '0')}`;
		let id = '';
		latencies.created.push(
			await timeToScreen(
				tmux,
				`${marker} in the Queue pane`,
				async () => {
					id = (await tool<{task: {id: string}}>(client, 'delegate_task', {prompt: `${marker} [[fake:sleep=1]]`, cwd, priority: 'P2'})).task.id;
				},
				screen => rowOf(screen, marker) !== undefined,
			),
		);
		latencies.reprioritized.push(
			await timeToScreen(
				tmux,
				`${marker} at P0`,
				() => tool(client, 'manage_queue', {action: 'reprioritize', id, priority: 'P0'}),
				screen => rowOf(screen, marker)?.includes(' P0 ') ?? false,
			),
		);
		latencies.cancelled.push(
			await timeToScreen(
				tmux,
				`${marker} gone from the Queue pane`,
				() => tool(client, 'cancel_task', {id, reason: 'latency probe'}),
				screen => rowOf(screen, marker) === undefined,
			),
		);
		// A pause of its own length each round, so the changes do not fall into step with any timer of the dashboard.
		await new Promise(resolve => setTimeout(resolve, 50 + Math.random() * 450));
	}
	const all = Object.values(latencies)
		.flat()
		.sort((a, b) => a - b);
	const summary = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms`;
	};
	console.log(
		`  change to screen over ${all.length} changes: ${summary(all)} (${verdict(percentile(all, 50), TARGETS.latencyP50Ms, ' ms')} at p50); the screen is read every ${SCREEN_POLL_MS} ms`,
	);
	for (const [kind, values] of Object.entries(latencies)) console.log(`    ${kind.padEnd(13)} ${summary(values)}`);

	// Leave the workers to the core's shutdown; the dashboard quits as a person would, writing its profile.
	tmux.press('q');
	await tmux.waitForText('Quit?', {timeoutMs: 10_000});
	tmux.press('l');
	const exited = await waitFor('the dashboard to exit', () => tmux!.pane().isDead, 15_000, 100).catch(() => false);
	if (!exited) console.log(`  the dashboard had not exited 15 s after q, l; its screen:\n${tmux.capture()}`);
	if (profiling) {
		const profile = existsSync(profileDir) ? readdirSync(profileDir).find(file => file.endsWith('.cpuprofile')) : undefined;
		if (profile) {
			// The profile starts with the process, a few ms after tmux started it: close enough for a 15 s window.
			console.log(`  where the dashboard's CPU went in the window (self time, % of one core; profiling itself adds a little):`);
			for (const line of summarizeProfile(path.join(profileDir, profile), started - dashboardStarted, ended - dashboardStarted, 12)) console.log(line);
		} else {
			console.log('  (no CPU profile was written)');
		}
	}
} finally {
	tmux?.kill();
	await closeClient?.().catch(() => undefined);
	if (daemon && daemon.exitCode === null) {
		daemon.kill('SIGTERM');
		await waitFor('the daemon to stop', () => daemon!.exitCode !== null || daemon!.signalCode !== null, 20_000).catch(() => daemon!.kill('SIGKILL'));
	}
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
	rmSync(scratch, {recursive: true, force: true});
}
