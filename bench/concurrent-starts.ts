// `npx tsx bench/concurrent-starts.ts [count] [mode] [staggerMs] [fresh|warm] [dirs]`: what many claude start-ups at
// once do to their shared CLAUDE_CONFIG_DIR/.claude.json. The real claude on the mock API, started by the core with
// the given stagger; afterwards the config file is checked: does it parse, are the seeded keys (onboarding, API-key
// approval, every project's trust) still there, which keys the starts wrote, how many corrupted-file backups claude
// made, and how the tasks ended. `warm` runs one task first so the config has seen a start (the first-start keys are
// written); `dirs` spreads the tasks over that many trusted working directories. Findings: docs/research/concurrent-starts.md.
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {createStderrLogger} from '../source/adapters/system/stderr-logger.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {startMockApi} from '../test/fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv} from '../test/helpers/claude-env.js';

const count = Number(process.argv[2] ?? 10);
const mode = process.argv[3] ?? 'headless';
const staggerMs = process.argv[4] ?? '0';
const warm = process.argv[5] === 'warm';
const dirCount = Number(process.argv[6] ?? 1);

const mock = await startMockApi();
const dirs = Array.from({length: dirCount}, () => mkdtempSync(path.join(os.tmpdir(), 'ccfleet-starts-cwd-')));
const claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: dirs});
const configFile = path.join(claudeEnv.configDir, '.claude.json');
const seeded = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-starts-'));
const env = {
	...process.env,
	...claudeEnv.env,
	CCFLEET_HOME: home,
	CCFLEET_CLAUDE_BIN: claudeBinary(),
	CCFLEET_MODE: mode,
	CCFLEET_STAGGER_MS: staggerMs,
	CCFLEET_MAX_WORKERS: String(count),
	// DEFAULTS=1: the machine's CPU and memory admit as they do by default; otherwise only the count and the stagger.
	...(process.env['DEFAULTS'] ? {} : {CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'}),
	CCFLEET_PERMISSION_MODE: 'default',
};
// VERBOSE=1: the core's log on stderr (why a worker was stopped, which dialog was answered).
const host = await startCore(loadConfig(env), process.env['VERBOSE'] ? createStderrLogger('info') : silentLogger, env);
const {fleet} = host;

async function runAll(prompts: string[]): Promise<void> {
	const ids = prompts.map((prompt, i) => fleet.submit({prompt, cwd: dirs[i % dirs.length]!}).id);
	const deadline = Date.now() + 600_000;
	while (ids.some(id => !fleet.get(id).endedAt) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 200));
}

if (warm) await runAll(['warm up [[reply:warm]]']);
const before = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
const started = performance.now();
await runAll(Array.from({length: count}, (_, i) => `start ${i} [[reply:done ${i}]]`));
const seconds = (performance.now() - started) / 1000;
const tasks = fleet.list({});
const ended = tasks.filter(task => task.prompt.startsWith('start '));
const failures = ended.filter(task => task.status !== 'completed').map(task => `${task.status}: ${task.failureReason ?? ''}`.slice(0, 160));
// The first failure's own log says what happened to it (a start-up screen, a stop and why).
const firstFailed = ended.find(task => task.status !== 'completed');
const failedLog = firstFailed ? fleet.logs(firstFailed.id).text.split('\n').slice(-25).join('\n') : '';
await host.close();

let verdict: string;
let after: Record<string, unknown> = {};
try {
	after = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
	verdict = 'parses';
} catch (error) {
	verdict = `DOES NOT PARSE: ${(error as Error).message}`;
}
const lost = Object.keys(seeded).filter(key => JSON.stringify(after[key]) === undefined);
const projects = (after['projects'] ?? {}) as Record<string, {hasTrustDialogAccepted?: boolean}>;
const lostTrust = dirs.filter(dir => projects[dir]?.hasTrustDialogAccepted !== true);
const approvals = (after['customApiKeyResponses'] as {approved?: string[]} | undefined)?.approved ?? [];
const backups = existsSync(path.join(claudeEnv.configDir, 'backups')) ? readdirSync(path.join(claudeEnv.configDir, 'backups')) : [];
const corrupted = [...backups, ...readdirSync(claudeEnv.configDir)].filter(name => name.includes('corrupt'));
const written = Object.keys(after).filter(key => JSON.stringify(after[key]) !== JSON.stringify(before[key]));
console.log(
	`${count} × ${mode}, stagger ${staggerMs} ms, ${warm ? 'warm' : 'fresh'} config, ${dirCount} dir(s): ${seconds.toFixed(1)} s; ` +
		`${ended.length - failures.length}/${ended.length} completed; config ${verdict}; seeded keys lost: [${lost.join(', ')}]; ` +
		`trust lost for ${lostTrust.length}/${dirs.length} dirs; API-key approval ${approvals.length > 0 ? 'kept' : 'LOST'}; corrupted backups ${corrupted.length}; ` +
		`backups ${backups.length}; keys the starts changed: [${written.join(', ')}]` +
		`${typeof after['numStartups'] === 'number' ? `; numStartups ${String(after['numStartups'])}` : ''}`,
);
for (const failure of [...new Set(failures)].slice(0, 5)) console.log(`  ${failure}`);
if (failedLog && process.env['SHOW_FAILED_LOG']) console.log(`the first failed task's log, its end:\n${failedLog}`);
claudeEnv.cleanup();
await mock.close();
rmSync(home, {recursive: true, force: true});
for (const dir of dirs) rmSync(dir, {recursive: true, force: true});
