// `npx tsx bench/mcp-sizes.ts`: how many bytes the MCP face costs a calling model, printed, not asserted (targets:
// tools/list under 10 KB of compact JSON, since a main session with alwaysLoad carries it in every request; answers
// about a task with a 58 KB prompt a few KB, not its prompt again and again). A real core over its Unix socket, with
// the fake claude as the worker.
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';

const PROMPT_BYTES = 58 * 1024;
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));
const kb = (bytes: number) => `${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024).toFixed(1)} KB)`;
/** What goes over the wire for a result: its compact JSON. */
const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
const env = {...process.env, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_STAGGER_MS: '0', CCFLEET_MAX_WORKERS: '1'};
const config = loadConfig(env);
const host = await startCore(config, silentLogger, env);
try {
	const {client, close} = await connectMcpClient(config.socketPath, {name: 'bench'});
	try {
		const {tools} = await client.listTools();
		// What Claude Code puts into every model request: each tool's name, description and input schema (not the output schema).
		const modelFacing = tools.map(tool => ({name: tool.name, description: tool.description, input_schema: tool.inputSchema}));
		console.log(`tools/list: ${tools.length} tools; model-facing (name, description, input schema) ${kb(size(modelFacing))} compact JSON (target < 10 KB)`);
		console.log(`  the whole tools/list answer, output schemas included: ${kb(size(tools))}`);
		const largest = modelFacing
			.map(tool => ({name: tool.name, bytes: size(tool)}))
			.sort((a, b) => b.bytes - a.bytes)
			.slice(0, 20);
		console.log(`  per tool: ${largest.map(tool => `${tool.name} ${tool.bytes}`).join(', ')}`);

		const line = 'Review this change and list every function whose behaviour changed, with the reason it matters. ';
		const prompt = `${line.repeat(Math.ceil(PROMPT_BYTES / line.length)).slice(0, PROMPT_BYTES)} [[reply:reviewed]]`;
		const delegated = await client.callTool({name: 'delegate_task', arguments: {prompt, cwd}});
		const id = (delegated.structuredContent as {task: {id: string}}).task.id;
		console.log(`delegate_task answer (${(PROMPT_BYTES / 1024).toFixed(0)} KB prompt): ${kb(size(delegated))}`);
		const waited = await client.callTool({name: 'wait_for_task', arguments: {ids: [id], timeout: 30_000}});
		console.log(`wait_for_task answer: ${kb(size(waited))}`);
		const status = await client.callTool({name: 'task_status', arguments: {id}});
		console.log(`task_status {id} answer: ${kb(size(status))}`);
		const list = await client.callTool({name: 'task_status', arguments: {}});
		console.log(`task_status (list) answer: ${kb(size(list))}`);
	} finally {
		await close();
	}
} finally {
	await host.close();
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
}
