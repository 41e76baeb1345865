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
import {measureRoundTrips, SAMPLES, WARM_UP} from './round-trips.js';

const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));

type ToolResult = {isError?: boolean; content?: {type: string; text?: string}[]; structuredContent?: Record<string, unknown>};

/** Calls the tool, failing loudly on an error result: timing refusals would measure the wrong path. */
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
	const result = (await client.callTool({name, arguments: args})) as ToolResult;
	if (result.isError) throw new Error(`${name} failed: ${result.content?.map(part => part.text).join('\n')}`);
	return result;
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
			await measureRoundTrips(
				'delegate_task',
				async i => {
					const result = await call(client, 'delegate_task', {prompt: `round trip ${i}${underLoad ? ' [[fake:sleep=0.3]]' : ''}`, cwd});
					firstId ??= (result.structuredContent?.task as {id: string}).id;
				},
				{gapMs: gap},
			);
			await measureRoundTrips('task_status {id}', () => call(client, 'task_status', {id: firstId}), {gapMs: gap});
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
