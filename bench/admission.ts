// `npx tsx bench/admission.ts`: admission by measured memory. 200 tasks whose fake claude holds 200 MB for 2 s
// ([[fake:hold=200:2]]), once with MEMORY_RESERVE set so that about 20 workers fit (CPU_THRESHOLD 100, so memory is
// what decides) and once at the default settings. Every 100 ms it reads the machine's available memory
// (/proc/meminfo) and every worker tree's resident memory (/proc), and prints the peak concurrency, the throughput, the
// peak worker memory against total − reserve, and the lowest available memory against the reserve. Printed, not
// asserted.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {treeResidentBytes} from '../source/adapters/system/process-tree.js';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';

const TASKS = 200;
const HOLD_MB = 200;
const HOLD_SECONDS = 2;
/** Roughly what one such worker takes: the held buffer, the node that holds it, the fake claude's bash. */
const WORKER_MB = HOLD_MB + 50;
const FIT = 20;
const MB = 1024 ** 2;
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));

function meminfo(): {totalBytes: number; availableBytes: number} {
	const text = readFileSync('/proc/meminfo', 'utf8');
	const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
	return {totalBytes: field('MemTotal'), availableBytes: field('MemAvailable')};
}

async function run(label: string, env: Record<string, string>): Promise<void> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-admission-'));
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	const fullEnv = {...process.env, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', ...env, CCFLEET_HOME: home};
	const config = loadConfig(fullEnv);
	const host = await startCore(config, silentLogger, fullEnv);
	const {fleet} = host;
	const running = new Set<string>();
	let peakRunning = 0;
	let ended = 0;
	const finished = new Promise<void>(resolve => {
		fleet.on('task:updated', ({task, previous}) => {
			if (task.status === previous) return;
			if (task.status === 'running') running.add(task.id);
			else running.delete(task.id);
			peakRunning = Math.max(peakRunning, running.size);
			if (['completed', 'failed', 'cancelled', 'skipped'].includes(task.status) && ++ended === TASKS) resolve();
		});
	});
	let peakWorkerBytes = 0;
	let lowestAvailable = Number.POSITIVE_INFINITY;
	let isSampling = false;
	const sampler = setInterval(() => {
		if (isSampling) return;
		isSampling = true;
		const pids = [...running].flatMap(id => fleet.get(id).worker?.pid ?? []);
		void treeResidentBytes(pids)
			.then(sizes => {
				peakWorkerBytes = Math.max(
					peakWorkerBytes,
					[...sizes.values()].reduce((sum, bytes) => sum + bytes, 0),
				);
				lowestAvailable = Math.min(lowestAvailable, meminfo().availableBytes);
			})
			.finally(() => {
				isSampling = false;
			});
	}, 100);
	const started = performance.now();
	for (let i = 0; i < TASKS; i++) fleet.submit({prompt: `hold [[fake:hold=${HOLD_MB}:${HOLD_SECONDS}]] #${i}`, cwd});
	await finished;
	const seconds = (performance.now() - started) / 1000;
	clearInterval(sampler);
	const failed = fleet.counts().failed;
	const {totalBytes} = meminfo();
	const reserve = config.memoryReserveBytes;
	console.log(
		`${label}: ${TASKS} tasks in ${seconds.toFixed(1)} s (${(TASKS / seconds).toFixed(1)} tasks/s), peak ${peakRunning} at once, ${failed} failed; ` +
			`peak worker memory ${(peakWorkerBytes / MB).toFixed(0)} MB against total − reserve ${((totalBytes - reserve) / MB).toFixed(0)} MB` +
			`${peakWorkerBytes > totalBytes - reserve ? ' (CROSSED)' : ''}; lowest available ${(lowestAvailable / MB).toFixed(0)} MB against the reserve ${(reserve / MB).toFixed(0)} MB` +
			`${lowestAvailable < reserve ? ' (BELOW)' : ''}; expected worker size learned ${(fleet.admissionState().expectedWorkerBytes.pty / MB).toFixed(0)} MB`,
	);
	await host.close();
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
}

const reserveForFit = meminfo().availableBytes - FIT * WORKER_MB * MB;
await run(`MEMORY_RESERVE ${(reserveForFit / MB).toFixed(0)} MB (about ${FIT} fit), CPU_THRESHOLD 100`, {
	CCFLEET_MEMORY_RESERVE: `${Math.round(reserveForFit / MB)}MB`,
	CCFLEET_CPU_THRESHOLD: '100',
});
await run('default settings (MEMORY_RESERVE 1GB, CPU_THRESHOLD 80, no ceiling)', {});
