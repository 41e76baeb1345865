// `npx tsx bench/mcp-bridge.ts`: what `ccfleet mcp` (the stdio bridge Claude Code starts) costs: the time from its
// start to the core's answer to `initialize` through it, and its resident memory then (VmRSS) and at its peak (VmHWM).
// Runs bin/ccfleet.js as installed, so from the build in dist/ (built first when a source file is newer). Printed,
// not asserted; targets: under 150 ms, under 40 MB.
import {spawn, execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';

const SAMPLES = 15;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/ccfleet.js');
const fakeClaude = path.join(root, 'test/fixtures/fake-claude.sh');

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function newestIn(directory: string): number {
	let newest = 0;
	for (const name of execFileSync('find', [directory, '-type', 'f'], {encoding: 'utf8'}).split('\n').filter(Boolean)) newest = Math.max(newest, statSync(name).mtimeMs);
	return newest;
}

function statusKb(pid: number, field: string): number {
	return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Starts the bridge, sends `initialize`, and measures once the answer is back. */
async function once(env: NodeJS.ProcessEnv): Promise<{ms: number; rssMb: number; peakMb: number}> {
	const started = performance.now();
	const child = spawn(process.execPath, [bin, 'mcp'], {env, stdio: ['pipe', 'pipe', 'inherit']});
	const answered = new Promise<void>((resolve, reject) => {
		let buffer = '';
		child.stdout.on('data', (chunk: Buffer) => {
			buffer += chunk.toString();
			if (buffer.includes('\n')) resolve();
		});
		child.once('exit', code => reject(new Error(`the bridge exited (${code}) before answering`)));
	});
	const initialize = {jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'bench', version: '0'}}};
	child.stdin.write(`${JSON.stringify(initialize)}\n`);
	await answered;
	const ms = performance.now() - started;
	const sample = {ms, rssMb: statusKb(child.pid!, 'VmRSS') / 1024, peakMb: statusKb(child.pid!, 'VmHWM') / 1024};
	const exited = new Promise(resolve => child.once('exit', resolve));
	child.stdin.end();
	await exited;
	return sample;
}

const stamp = path.join(root, 'dist/.build-stamp');
if (!existsSync(stamp) || statSync(stamp).mtimeMs < newestIn(path.join(root, 'source'))) {
	console.log('(building dist/ first: a source file is newer than the build)');
	execFileSync('npm', ['run', 'build', '--silent'], {cwd: root, stdio: 'inherit'});
}

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-bridge-'));
const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude};
const host = await startCore(loadConfig(env), silentLogger, env);
try {
	await once(env);
	const samples: {ms: number; rssMb: number; peakMb: number}[] = [];
	for (let i = 0; i < SAMPLES; i++) samples.push(await once(env));
	const summary = (values: number[], unit: string) => {
		const sorted = [...values].sort((a, b) => a - b);
		return `p50 ${percentile(sorted, 50).toFixed(1)} ${unit}, max ${sorted.at(-1)!.toFixed(1)} ${unit}`;
	};
	console.log(
		`ccfleet mcp, ${SAMPLES} starts against a running core: start to the answer to initialize ${summary(
			samples.map(s => s.ms),
			'ms',
		)} (target < 150 ms); RSS ${summary(
			samples.map(s => s.rssMb),
			'MB',
		)}, peak RSS ${summary(
			samples.map(s => s.peakMb),
			'MB',
		)} (target < 40 MB)`,
	);
} finally {
	await host.close();
	rmSync(home, {recursive: true, force: true});
}
