// `npx tsx bench/git-snapshot.ts`: what one checkpoint's git snapshot costs ccfleet's own process, printed, not
// asserted: wall time, this process's CPU (all its threads; git's own CPU is not in it) and how long the call holds
// the event loop before it first yields (for a spawn, that is the fork). Mean and p95 per call, in a repository and
// outside one, for the adapter as it was (three git processes through execa), one git through execa or spawned
// directly, and the adapter now (one git through the helper shell, nothing outside a repository). The process is first
// grown to about the core's size, since a fork costs in proportion to it.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {createGitCliInspector} from '../source/adapters/git/git-cli-inspector.js';
import {runGitStatusOnce} from '../source/adapters/git/git-status-shell.js';

const WARM_UP = 10;
const SAMPLES = 150;
const CORE_RSS_MB = 130;
const TRACKED_FILES = 300;

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The adapter before this benchmark was written: three git processes through execa per snapshot. */
async function snapshotBefore(cwd: string): Promise<unknown> {
	const git = (args: string[]) => execa('git', args, {cwd, reject: false, timeout: 5_000, stdin: 'ignore'});
	const [branch, sha, status] = await Promise.all([git(['rev-parse', '--abbrev-ref', 'HEAD']), git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '-z'])]);
	if (branch.exitCode !== 0 || status.exitCode !== 0) return undefined;
	const dirtyFiles = String(status.stdout)
		.split('\0')
		.filter(Boolean)
		.map(entry => entry.slice(3));
	return {branch: String(branch.stdout).trim(), sha: sha.exitCode === 0 ? String(sha.stdout).trim() : '(no commits)', dirtyFiles};
}

type Stats = {mean: number; p95: number};
const stats = (values: number[]): Stats => {
	const sorted = [...values].sort((a, b) => a - b);
	return {mean: values.reduce((sum, value) => sum + value, 0) / values.length, p95: percentile(sorted, 95)};
};

async function measure(call: () => Promise<unknown>): Promise<{wall: Stats; cpu: Stats; block: Stats}> {
	for (let index = 0; index < WARM_UP; index++) await call();
	const wall: number[] = [];
	const cpu: number[] = [];
	const block: number[] = [];
	for (let index = 0; index < SAMPLES; index++) {
		const cpuBefore = process.cpuUsage();
		const started = performance.now();
		const pending = call();
		block.push(performance.now() - started);
		await pending;
		wall.push(performance.now() - started);
		const used = process.cpuUsage(cpuBefore);
		cpu.push((used.user + used.system) / 1000);
	}
	return {wall: stats(wall), cpu: stats(cpu), block: stats(block)};
}

const format = ({mean, p95}: Stats) => `${mean.toFixed(2).padStart(6)} / ${p95.toFixed(2).padStart(6)}`;

const root = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-git-'));
const repo = path.join(root, 'repo');
const outside = path.join(root, 'outside', 'deeper');
mkdirSync(path.join(repo, 'src'), {recursive: true});
mkdirSync(outside, {recursive: true});
const identity = {GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b'};
await execa('git', ['init', '-q', '-b', 'main'], {cwd: repo});
for (let index = 0; index < TRACKED_FILES; index++) writeFileSync(path.join(repo, 'src', `file-${index}.ts`), `export const n = ${index};\n`);
await execa('git', ['add', '.'], {cwd: repo});
await execa('git', ['commit', '-qm', 'files'], {cwd: repo, env: identity});
writeFileSync(path.join(repo, 'src', 'file-1.ts'), 'changed\n');
writeFileSync(path.join(repo, 'untracked file.ts'), 'new\n');

const ballast: Buffer[] = [];
while (process.memoryUsage().rss < CORE_RSS_MB * 2 ** 20) ballast.push(Buffer.alloc(4 * 2 ** 20, 1));

const after = createGitCliInspector();
const env = {...process.env};
const ways: [string, string, () => Promise<unknown>][] = [
	['before: 3 git processes via execa', 'repository', () => snapshotBefore(repo)],
	[
		'one git via execa',
		'repository',
		() => execa('git', ['--no-optional-locks', 'status', '--porcelain=v2', '--branch', '-z'], {cwd: repo, reject: false, timeout: 5_000, stdin: 'ignore'}),
	],
	['one git spawned directly', 'repository', () => runGitStatusOnce(repo, {env, timeoutMs: 5_000})],
	['after: one git via the helper shell', 'repository', () => after.snapshot(repo)],
	['before: 3 git processes via execa', 'outside', () => snapshotBefore(outside)],
	['after: first look (walk up for .git)', 'outside', () => createGitCliInspector().snapshot(outside)],
	['after: remembered', 'outside', () => after.snapshot(outside)],
];
console.log(`git snapshot, ${SAMPLES} calls each, process RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB, ${TRACKED_FILES} tracked files; mean / p95 in ms`);
console.log(`${'way'.padEnd(38)} ${'where'.padEnd(11)} ${'wall'.padStart(15)}  ${'CPU (this process)'.padStart(18)}  ${'event loop held'.padStart(15)}`);
for (const [name, where, call] of ways) {
	const {wall, cpu, block} = await measure(call);
	console.log(`${name.padEnd(38)} ${where.padEnd(11)} ${format(wall)}  ${format(cpu).padStart(18)}  ${format(block).padStart(15)}`);
}
after.close();
ballast.length = 0;
rmSync(root, {recursive: true, force: true});
