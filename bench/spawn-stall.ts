// `npx tsx bench/spawn-stall.ts [pty|headless] [tasks] [workers]`: how long worker starts block the core's event
// loop. The core runs in this process with the fake claude; a burst of tasks is submitted at once, and meanwhile
// node:perf_hooks' monitorEventLoopDelay records the loop's delays. Every start (TaskRunner.startNext: the ledger
// write, the worker, its process) is timed on its own as well. Printed, not asserted.
import childProcess from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {syncBuiltinESMExports} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {monitorEventLoopDelay} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import pty from 'node-pty';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {TaskRunner} from '../source/core/fleet/task-runner.js';
import {silentLogger} from '../source/core/ports/logger.js';

const mode = process.argv[2] ?? 'pty';
const tasks = Number(process.argv[3] ?? 48);
const workers = Number(process.argv[4] ?? 16);
const fakeClaude = fileURLToPath(new URL(mode === 'headless' ? '../test/fixtures/fake-claude-headless.sh' : '../test/fixtures/fake-claude.sh', import.meta.url));

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const startTimes: number[] = [];
const {prototype} = TaskRunner;
const original = Object.getOwnPropertyDescriptor(prototype, 'startNext')!.value as (this: TaskRunner) => void;
prototype.startNext = function (this: TaskRunner) {
	const started = performance.now();
	original.call(this);
	startTimes.push(performance.now() - started);
};

// The process start alone (node-pty's forkpty; child_process.spawn under execa), timed inside each start.
const spawnTimes: number[] = [];
function timed<F extends (...args: never[]) => unknown>(spawn: F): F {
	return ((...args: Parameters<F>) => {
		const started = performance.now();
		try {
			return spawn(...args);
		} finally {
			spawnTimes.push(performance.now() - started);
		}
	}) as F;
}
pty.spawn = timed(pty.spawn);
childProcess.spawn = timed(childProcess.spawn);
syncBuiltinESMExports();

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-stall-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
const env = {
	...process.env,
	CCFLEET_HOME: home,
	CCFLEET_CLAUDE_BIN: fakeClaude,
	CCFLEET_MODE: mode,
	CCFLEET_STAGGER_MS: process.env['CCFLEET_STAGGER_MS'] ?? '0',
	CCFLEET_MAX_WORKERS: String(workers),
	CCFLEET_CPU_THRESHOLD: '100',
	CCFLEET_MEMORY_RESERVE: '0',
};
const host = await startCore(loadConfig(env), silentLogger, env);
// One task first: the code paths are loaded before anything is measured.
host.fleet.submit({prompt: 'warm up [[fake:sleep=0.1]]', cwd});
while (host.fleet.counts().completed < 1) await new Promise(resolve => setTimeout(resolve, 20));
startTimes.length = 0;
spawnTimes.length = 0;
const histogram = monitorEventLoopDelay({resolution: 1});
histogram.enable();
const wallStarted = performance.now();
for (let i = 0; i < tasks; i++) host.fleet.submit({prompt: `stall ${i} [[fake:sleep=0.5]]`, cwd});
while (host.fleet.counts().completed + host.fleet.counts().failed < tasks + 1) await new Promise(resolve => setTimeout(resolve, 20));
histogram.disable();
const seconds = (performance.now() - wallStarted) / 1000;
const ms = (ns: number) => (ns / 1e6).toFixed(1);
startTimes.sort((a, b) => a - b);
spawnTimes.sort((a, b) => a - b);
console.log(
	`${mode}, ${tasks} tasks at ${workers} workers (stagger ${env.CCFLEET_STAGGER_MS} ms), ${seconds.toFixed(1)} s, ${host.fleet.counts().failed} failed: ` +
		`event-loop delay p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms; ` +
		`one start blocks p50 ${percentile(startTimes, 50).toFixed(1)} ms, p99 ${percentile(startTimes, 99).toFixed(1)} ms, max ${startTimes.at(-1)!.toFixed(1)} ms; ` +
		(spawnTimes.length === 0
			? 'no process forked by the core (the spawner starts them); '
			: `of which the core's own process start p50 ${percentile(spawnTimes, 50).toFixed(1)} ms, max ${spawnTimes.at(-1)!.toFixed(1)} ms; `) +
		`core RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
);
await host.close();
rmSync(home, {recursive: true, force: true});
rmSync(cwd, {recursive: true, force: true});
