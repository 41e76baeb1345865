// `npx tsx bench/mcp-roundtrip.ts`: how long one MCP tool call takes over the core's real Unix socket, printed, not
// asserted (target: delegate_task p50 under 5 ms). One worker slot, so the tasks mostly queue: this measures the
// endpoint (framing, SDK, validation, the store write), not the workers.
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';

const WARM_UP = 50;
const SAMPLES = 500;
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type ToolResult = {isError?: boolean; content?: {type: string; text?: string}[]; structuredContent?: Record<string, unknown>};

/** Calls the tool, failing loudly on an error result: timing refusals would measure the wrong path. */
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
	const result = (await client.callTool({name, arguments: args})) as ToolResult;
	if (result.isError) throw new Error(`${name} failed: ${result.content?.map(part => part.text).join('\n')}`);
	return result;
}

/** Sequential calls, each timed from send to reply; warm-up calls are made the same way and not counted. */
async function measure(label: string, run: (i: number) => Promise<unknown>): Promise<void> {
	for (let i = 0; i < WARM_UP; i++) await run(i);
	const times: number[] = [];
	for (let i = 0; i < SAMPLES; i++) {
		const sent = performance.now();
		await run(WARM_UP + i);
		times.push(performance.now() - sent);
	}
	times.sort((a, b) => a - b);
	const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
	console.log(
		`${label.padEnd(22)} ${SAMPLES} sequential calls: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms ` +
			`(mean ${mean.toFixed(2)}, min ${times[0]!.toFixed(2)}, max ${times.at(-1)!.toFixed(2)})`,
	);
}

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', CCFLEET_MAX_WORKERS: '1'};
const config = loadConfig(env);
const host = await startCore(config, silentLogger, env);
try {
	const {client, close} = await connectMcpClient(config.socketPath, {name: 'bench'});
	try {
		let firstId: string | undefined;
		await measure('delegate_task', async i => {
			const result = await call(client, 'delegate_task', {prompt: `round trip ${i}`, cwd});
			firstId ??= (result.structuredContent?.task as {id: string}).id;
		});
		await measure('task_status {id}', () => call(client, 'task_status', {id: firstId}));
		const counts = host.fleet.counts();
		console.log(`(${WARM_UP + SAMPLES} tasks submitted; meanwhile the one worker finished ${counts.completed}, ${counts.queued} still queued)`);
		console.log(`target: delegate_task p50 < 5 ms`);
	} finally {
		await close();
	}
} finally {
	await host.close();
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
}
