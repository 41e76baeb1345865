// `npx tsx bench/mcp-roundtrip.ts`: how long one MCP tool call takes over the core's real Unix socket, printed, not
// asserted: the endpoint alone (framing, SDK, validation, the store write), and the same calls while eight workers
// start and end all the time, where process starts compete with the answers for the core's event loop.
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
async function measure(label: string, run: (i: number) => Promise<unknown>, gapMs = 0): Promise<void> {
	for (let i = 0; i < WARM_UP; i++) await run(i);
	const times: number[] = [];
	for (let i = 0; i < SAMPLES; i++) {
		const sent = performance.now();
		await run(WARM_UP + i);
		times.push(performance.now() - sent);
		if (gapMs > 0) await new Promise(resolve => setTimeout(resolve, gapMs));
	}
	times.sort((a, b) => a - b);
	const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
	console.log(
		`${label.padEnd(22)} ${SAMPLES} sequential calls: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms ` +
			`(mean ${mean.toFixed(2)}, min ${times[0]!.toFixed(2)}, max ${times.at(-1)!.toFixed(2)})`,
	);
}

/**
 * One core, measured twice: its tool calls with one worker slot and the tasks mostly queued (the endpoint alone), then
 * while eight workers start and end continuously (each task's fake claude lives 100 ms; every end submits the next).
 */
async function scenario(label: string, settings: Record<string, string>, underLoad: boolean): Promise<void> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
	const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
	const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, ...settings};
	const config = loadConfig(env);
	const host = await startCore(config, silentLogger, env);
	let keepLoading = underLoad;
	let cycled = 0;
	if (underLoad) {
		host.fleet.on('task:updated', ({task, previous}) => {
			if (task.status === previous || !task.endedAt || !task.prompt.startsWith('load')) return;
			cycled++;
			if (keepLoading) host.fleet.submit({prompt: 'load [[fake:sleep=0.1]]', cwd});
		});
		for (let i = 0; i < 8; i++) host.fleet.submit({prompt: 'load [[fake:sleep=0.1]]', cwd});
		while (host.fleet.workers().length < 8) await new Promise(resolve => setTimeout(resolve, 20));
	}
	// Under load the calls are spread over seconds, so that they meet many starts and ends.
	const gap = underLoad ? 10 : 0;
	console.log(`— ${label}`);
	try {
		const {client, close} = await connectMcpClient(config.socketPath, {name: 'bench'});
		try {
			let firstId: string | undefined;
			await measure(
				'delegate_task',
				async i => {
					const result = await call(client, 'delegate_task', {prompt: `round trip ${i}${underLoad ? ' [[fake:sleep=0.3]]' : ''}`, cwd});
					firstId ??= (result.structuredContent?.task as {id: string}).id;
				},
				gap,
			);
			await measure('task_status {id}', () => call(client, 'task_status', {id: firstId}), gap);
			const counts = host.fleet.counts();
			console.log(
				underLoad
					? `(meanwhile ${counts.completed + counts.failed} tasks started and ended in the 8 slots, ${cycled} of them load tasks; ${counts.failed} failed)`
					: `(${WARM_UP + SAMPLES} tasks submitted; meanwhile the one worker finished ${counts.completed}, ${counts.queued} still queued)`,
			);
		} finally {
			await close();
		}
	} finally {
		keepLoading = false;
		await host.close();
		rmSync(home, {recursive: true, force: true});
		rmSync(cwd, {recursive: true, force: true});
	}
}

const tuned = {CCFLEET_STAGGER_MS: '0', CCFLEET_CPU_THRESHOLD: '100', CCFLEET_MEMORY_RESERVE: '0'};
await scenario('one worker slot, tasks queued', {...tuned, CCFLEET_MAX_WORKERS: '1'}, false);
await scenario('8 workers starting and ending continuously, default settings (ceiling 8)', {CCFLEET_MAX_WORKERS: '8'}, true);
await scenario('8 workers starting and ending continuously, tuned (no CPU/memory admission)', {...tuned, CCFLEET_MAX_WORKERS: '8'}, true);
console.log('targets: p50 < 2 ms, p99 < 20 ms (while workers start and end)');
