// `npx tsx bench/status-polling.ts`: 100 MCP clients poll task_status for 16 running tasks at once, as many
// dashboards and scripts would; printed, not asserted. A task view reads the worker's last memory sample (taken on a
// timer), never the process table, so the answers do not queue behind /proc scans.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';

const CLIENTS = 100;
const RUNNING = 16;
const DURATION_MS = 10_000;
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-poll-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-poll-cwd-'));
// A claude config that has an identity already, as on any machine where claude has run: the first-start gate is open.
writeFileSync(path.join(home, '.claude.json'), JSON.stringify({userID: 'bench'}));
const env = {
	...process.env,
	CLAUDE_CONFIG_DIR: home,
	CCFLEET_HOME: home,
	CCFLEET_CLAUDE_BIN: fakeClaude,
	CCFLEET_MAX_WORKERS: String(RUNNING),
	CCFLEET_CPU_THRESHOLD: '100',
	CCFLEET_MEMORY_RESERVE: '0',
};
const config = loadConfig(env);
const host = await startCore(config, silentLogger, env);
try {
	const ids = Array.from({length: RUNNING}, (_, n) => host.fleet.submit({prompt: `poll me ${n} [[fake:sleep=60]]`, cwd}).id);
	const deadline = Date.now() + 30_000;
	while (host.fleet.workers().length < RUNNING && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
	const clients = await Promise.all(Array.from({length: CLIENTS}, (_, n) => connectMcpClient(config.socketPath, {name: `poller-${n}`})));
	const times: number[] = [];
	const end = Date.now() + DURATION_MS;
	await Promise.all(
		clients.map(async ({client}, n) => {
			for (let i = n; Date.now() < end; i++) {
				const sent = performance.now();
				const result = await client.callTool({name: 'task_status', arguments: {id: ids[i % RUNNING]}});
				if (result.isError) throw new Error(JSON.stringify(result.content));
				times.push(performance.now() - sent);
			}
		}),
	);
	await Promise.all(clients.map(({close}) => close()));
	times.sort((a, b) => a - b);
	console.log(
		`${CLIENTS} clients polling task_status of ${host.fleet.workers().length} running tasks for ${DURATION_MS / 1000} s: ${times.length} calls ` +
			`(${Math.round(times.length / (DURATION_MS / 1000))}/s), p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`,
	);
	console.log('before the views read a sampled memory figure: p99 4,000–5,700 ms');
} finally {
	await host.close();
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
}
