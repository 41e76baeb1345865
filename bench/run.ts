// `npm run bench`: numbers for the targets, printed, not asserted.
//  1. the whole path with a fake claude that exits at once: submit over the socket → spawn → exit → stored, pty and
//     headless, tuned and at the default settings: throughput, the core's CPU per task and its RSS;
//  2. submit-to-spawn latency with free worker slots;
//  3. the real claude on the mock API: the orchestrator's own CPU time and memory per running worker.
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadConfig} from '../source/config.js';
import {startCore, type CoreHost} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';
import {startMockApi} from '../test/fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv} from '../test/helpers/claude-env.js';

const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));
const fakeHeadlessClaude = fileURLToPath(new URL('../test/fixtures/fake-claude-headless.sh', import.meta.url));
const MB = 1024 ** 2;
const only = process.argv[2];

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU time (ms) of the core's node children: the spawner, which does the process starts the core used to do. */
function childNodeCpuMs(): number {
	let ticks = 0;
	const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
	for (const pid of children) {
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			if (!stat.includes('(node)')) continue;
			const fields = stat.replace(/^.*\) /s, '').split(' ');
			ticks += Number(fields[11]) + Number(fields[12]);
		} catch {
			// ended meanwhile
		}
	}
	// Linux counts in clock ticks of 10 ms (USER_HZ 100).
	return ticks * 10;
}

async function withCore<T>(env: Record<string, string>, run: (host: CoreHost, socketPath: string) => Promise<T>): Promise<T> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
	const fullEnv = {...process.env, ...env, CCFLEET_HOME: home};
	const config = loadConfig(fullEnv);
	const host = await startCore(config, silentLogger, fullEnv);
	try {
		return await run(host, config.socketPath);
	} finally {
		await host.close();
		rmSync(home, {recursive: true, force: true});
	}
}

/**
 * The whole path with a fake claude: submit over the socket → start → exit → stored. Reports the throughput, the
 * core's CPU per task (this process is the core), and its RSS before and at the peak. `tuned`: no stagger, 8 workers,
 * the machine's load left out; otherwise the default settings, where the machine's CPU and memory admit.
 */
async function throughput(mode: 'pty' | 'headless', tuned: boolean, total: number): Promise<void> {
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	const claude = mode === 'headless' ? fakeHeadlessClaude : fakeClaude;
	const settings: Record<string, string> = tuned ? {CCFLEET_STAGGER_MS: '0', CCFLEET_MAX_WORKERS: '8', CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'} : {};
	await withCore({CCFLEET_CLAUDE_BIN: claude, CCFLEET_MODE: mode, ...settings}, async (host, socketPath) => {
		const {client, close} = await connectMcpClient(socketPath, {name: 'bench'});
		global.gc?.();
		const rssAtStart = process.memoryUsage().rss;
		let peakRss = rssAtStart;
		const sampler = setInterval(() => {
			peakRss = Math.max(peakRss, process.memoryUsage().rss);
		}, 50);
		let done = 0;
		let failed = 0;
		const finished = new Promise<void>(resolve => {
			host.fleet.on('task:updated', ({task, previous}) => {
				if (previous === task.status) return;
				if (task.status === 'completed') done++;
				else if (task.status === 'failed') failed++;
				if (done + failed === total) resolve();
			});
		});
		const cpuBefore = process.cpuUsage();
		const spawnerBefore = childNodeCpuMs();
		const started = performance.now();
		await Promise.all(Array.from({length: total}, (_, i) => client.callTool({name: 'delegate_task', arguments: {prompt: `bench task ${i}`, cwd}})));
		const submitted = performance.now();
		await finished;
		const seconds = (performance.now() - started) / 1000;
		const cpu = process.cpuUsage(cpuBefore);
		const spawnerMs = childNodeCpuMs() - spawnerBefore;
		clearInterval(sampler);
		console.log(
			`fake claude, ${mode}, ${total} tasks, ${tuned ? 'tuned (no stagger, 8 workers, no CPU/memory admission)' : 'default settings'}: ` +
				`${(total / seconds).toFixed(1)} tasks/s end to end (target ≥ 50); core CPU ${((cpu.user + cpu.system) / 1000 / total).toFixed(1)} ms per task (target < 20), ` +
				`its spawner ${(spawnerMs / total).toFixed(1)} ms per task; ` +
				`core RSS ${(rssAtStart / MB).toFixed(0)} MB at start, ${(peakRss / MB).toFixed(0)} MB at peak; submit of all over the socket ${(submitted - started).toFixed(0)} ms; ${failed} failed`,
		);
		await close();
	});
	rmSync(cwd, {recursive: true, force: true});
}

/**
 * The core as users run it: `ccfleet --daemon` (the build in dist/ when it is fresh), its RSS once it is ready and at
 * its peak while 300 fake tasks go through it at the default settings with 8 workers.
 */
async function daemonMemory(total = 300): Promise<void> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-daemon-'));
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_MAX_WORKERS: '8'};
	const config = loadConfig(env);
	const bin = fileURLToPath(new URL('../bin/ccfleet.js', import.meta.url));
	const daemon = spawn(process.execPath, [bin, '--daemon'], {env, stdio: 'ignore'});
	const rssMb = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
	try {
		let connection: Awaited<ReturnType<typeof connectMcpClient>> | undefined;
		for (let tries = 0; !connection && tries < 300; tries++) {
			connection = await connectMcpClient(config.socketPath, {name: 'bench'}).catch(() => undefined);
			if (!connection) await new Promise(resolve => setTimeout(resolve, 100));
		}
		if (!connection) throw new Error('the daemon did not start');
		await new Promise(resolve => setTimeout(resolve, 1_000));
		const atStart = rssMb();
		let peak = atStart;
		const sampler = setInterval(() => {
			peak = Math.max(peak, rssMb());
		}, 50);
		const ids: string[] = [];
		for (let i = 0; i < total; i++) {
			const result = (await connection.client.callTool({name: 'delegate_task', arguments: {prompt: `daemon ${i}`, cwd}})) as {structuredContent?: {task?: {id: string}}};
			ids.push(result.structuredContent!.task!.id);
		}
		for (;;) {
			const status = (await connection.client.callTool({name: 'task_status', arguments: {id: ids.at(-1)}})) as {structuredContent?: {task?: {endedAt?: number}}};
			if (status.structuredContent?.task?.endedAt) break;
			await new Promise(resolve => setTimeout(resolve, 200));
		}
		clearInterval(sampler);
		console.log(`ccfleet --daemon: RSS ${atStart.toFixed(0)} MB once ready, ${peak.toFixed(0)} MB at its peak while ${total} fake tasks ran through 8 workers`);
		await connection.close();
	} finally {
		daemon.kill('SIGTERM');
		await new Promise(resolve => daemon.once('exit', resolve));
		rmSync(home, {recursive: true, force: true});
		rmSync(cwd, {recursive: true, force: true});
	}
}

async function submitToSpawn(samples = 100): Promise<void> {
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	await withCore({CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', CCFLEET_MAX_WORKERS: '4'}, async (host, socketPath) => {
		const {client, close} = await connectMcpClient(socketPath, {name: 'bench'});
		const latencies: number[] = [];
		for (let i = 0; i < samples; i++) {
			const sent = performance.now();
			const spawned = new Promise<number>(resolve => {
				const off = host.fleet.on('task:updated', ({task}) => {
					if (task.worker && task.prompt === `latency ${i}`) {
						off();
						resolve(performance.now());
					}
				});
			});
			const ended = new Promise<void>(resolve => {
				const off = host.fleet.on('task:updated', ({task}) => {
					if (task.prompt === `latency ${i}` && task.endedAt) {
						off();
						resolve();
					}
				});
			});
			await client.callTool({name: 'delegate_task', arguments: {prompt: `latency ${i}`, cwd}});
			latencies.push((await spawned) - sent);
			await ended;
		}
		latencies.sort((a, b) => a - b);
		console.log(
			`submit over the socket → claude process spawned: p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms (target p50 < 20 ms)`,
		);
		await close();
	});
	rmSync(cwd, {recursive: true, force: true});
}

async function realWorkers(count = 6): Promise<void> {
	const mock = await startMockApi();
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	const claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [cwd]});
	try {
		await withCore(
			{...claudeEnv.env, CCFLEET_CLAUDE_BIN: claudeBinary(), CCFLEET_MAX_WORKERS: String(count), CCFLEET_PERMISSION_MODE: 'default'},
			async (host, socketPath) => {
				const {client, close} = await connectMcpClient(socketPath, {name: 'bench'});
				// One task first, so code paths (pty, terminal emulator, hooks) are loaded before the baseline.
				await client.callTool({name: 'delegate_task', arguments: {prompt: 'warm up [[reply:warm]]', cwd}});
				while (host.fleet.counts().completed < 1) await new Promise(r => setTimeout(r, 100));
				await new Promise(r => setTimeout(r, 500));
				global.gc?.();
				const rssBefore = process.memoryUsage().rss;
				const heapBefore = process.memoryUsage().heapUsed;
				const cpuBefore = process.cpuUsage();
				const wallBefore = performance.now();
				// Slow replies keep every worker running while we measure.
				for (let i = 0; i < count; i++) {
					await client.callTool({name: 'delegate_task', arguments: {prompt: `bench real ${i} [[slow:6000]] [[reply:done ${i}]]`, cwd}});
				}
				const deadline = Date.now() + 60_000;
				while (host.fleet.workers().filter(w => w.state === 'busy').length < count && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
				const busyAt = performance.now();
				global.gc?.();
				const rssBusy = process.memoryUsage().rss;
				const heapBusy = process.memoryUsage().heapUsed;
				while (host.fleet.counts().completed + host.fleet.counts().failed < count + 1 && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
				const cpu = process.cpuUsage(cpuBefore);
				const wall = (performance.now() - wallBefore) / 1000;
				const perWorkerMb = (rssBusy - rssBefore) / count / 1024 / 1024;
				const heapPerWorkerMb = (heapBusy - heapBefore) / count / 1024 / 1024;
				console.log(
					`real claude × ${count} on the mock: orchestrator RSS +${perWorkerMb.toFixed(1)} MB per running worker (heap +${heapPerWorkerMb.toFixed(1)} MB; target < 10 MB), ` +
						`orchestrator CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms over ${wall.toFixed(1)} s (${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)}% of one core), ` +
						`all busy after ${((busyAt - wallBefore) / 1000).toFixed(1)} s; ${host.fleet.counts().completed - 1} completed`,
				);
				await close();
			},
		);
	} finally {
		claudeEnv.cleanup();
		await mock.close();
	}
}

/** The two ways a hook can reach ccfleet: claude POSTs it itself (http hook), or spawns a forwarder per event. */
async function hookTransports(samples = 200): Promise<void> {
	const {HookServer} = await import('../source/adapters/claude/hook-server.js');
	const {execa} = await import('execa');
	const hooks = new HookServer();
	await hooks.listen();
	const registration = hooks.register('bench', () => ({}));
	const body = JSON.stringify({hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: {command: 'ls'}});
	let started = performance.now();
	for (let i = 0; i < samples; i++) {
		await fetch(`${registration.url}/PreToolUse`, {method: 'POST', headers: {'x-ccfleet-secret': registration.secret}, body});
	}
	const httpMs = (performance.now() - started) / samples;
	const forwarder = `const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>fetch(process.argv[1],{method:'POST',headers:{'x-ccfleet-secret':process.argv[2]},body:Buffer.concat(c)}).then(r=>r.text()))`;
	const spawns = 20;
	started = performance.now();
	for (let i = 0; i < spawns; i++) await execa(process.execPath, ['-e', forwarder, `${registration.url}/PreToolUse`, registration.secret], {input: body});
	const commandMs = (performance.now() - started) / spawns;
	console.log(
		`hook delivery: http hook ${httpMs.toFixed(2)} ms per event (no process); command hook with a node forwarder ${commandMs.toFixed(1)} ms per event (a process per event)`,
	);
	await hooks.close();
}

if (!only || only === 'hooks') await hookTransports();
if (!only || only === 'throughput') {
	for (const mode of ['pty', 'headless'] as const) {
		await throughput(mode, true, 300);
		await throughput(mode, false, 200);
	}
}
if (!only || only === 'daemon') await daemonMemory();
if (!only || only === 'latency') await submitToSpawn();
if (!only || only === 'real') await realWorkers();
