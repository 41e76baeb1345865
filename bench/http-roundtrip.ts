// `npx tsx bench/http-roundtrip.ts`: how long a delegate round trip takes over HTTP, beside the Unix socket, on one
// core (printed, not asserted): MCP over streamable HTTP (/mcp), the REST route (POST /tasks, a fresh keep-alive
// connection's worth of parsing and auth per call), and the socket as bench/mcp-roundtrip.ts measures it.
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {loadConfig} from '../source/config.js';
import {startCore} from '../source/core-host.js';
import {silentLogger} from '../source/core/ports/logger.js';
import {TokenFile, tokenFilePath} from '../source/http/token-store.js';
import {connectMcpClient} from '../source/mcp/socket-client.js';
import {measureRoundTrips, SAMPLES, WARM_UP} from './round-trips.js';

/** Wide enough for the longest label below. */
const WIDE = {labelWidth: 30};
const fakeClaude = fileURLToPath(new URL('../test/fixtures/fake-claude.sh', import.meta.url));

type ToolResult = {isError?: boolean; content?: {type: string; text?: string}[]};

/** Fails loudly on an error result: timing refusals would measure the wrong path. */
async function delegate(client: Client, prompt: string, cwd: string): Promise<void> {
	const result = (await client.callTool({name: 'delegate_task', arguments: {prompt, cwd}})) as ToolResult;
	if (result.isError) throw new Error(`delegate_task failed: ${result.content?.map(part => part.text).join('\n')}`);
}

const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-cwd-'));
// One worker slot: the tasks mostly queue, so what is timed is the endpoint, not worker starts.
const env = {
	...process.env,
	CCFLEET_HOME: home,
	CCFLEET_CLAUDE_BIN: fakeClaude,
	CCFLEET_HTTP: '127.0.0.1:0',
	CCFLEET_MAX_WORKERS: '1',
	CCFLEET_STAGGER_MS: '0',
	CCFLEET_CPU_THRESHOLD: '100',
};
const config = loadConfig(env);
const token = new TokenFile(tokenFilePath(home)).create('bench');
const host = await startCore(config, silentLogger, env);
try {
	const socket = await connectMcpClient(config.socketPath, {name: 'bench'});
	await measureRoundTrips('socket  MCP delegate_task', i => delegate(socket.client, `socket ${i}`, cwd), WIDE);
	await socket.close();

	const client = new Client({name: 'bench', version: '1'});
	await client.connect(new StreamableHTTPClientTransport(new URL(`${host.httpUrl}/mcp`), {requestInit: {headers: {Authorization: `Bearer ${token}`}}}));
	await measureRoundTrips('HTTP    MCP delegate_task', i => delegate(client, `mcp over http ${i}`, cwd), WIDE);
	await client.close();

	await measureRoundTrips(
		'HTTP    REST POST /tasks',
		async i => {
			const response = await fetch(`${host.httpUrl}/tasks`, {
				method: 'POST',
				headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
				body: JSON.stringify({prompt: `rest ${i}`, cwd}),
			});
			if (response.status !== 201) throw new Error(`POST /tasks answered ${response.status}: ${await response.text()}`);
			await response.arrayBuffer();
		},
		WIDE,
	);
	const counts = host.fleet.counts();
	console.log(`(${3 * (WARM_UP + SAMPLES)} tasks submitted; the one worker finished ${counts.completed}, ${counts.queued} still queued)`);
} finally {
	await host.close();
	rmSync(home, {recursive: true, force: true});
	rmSync(cwd, {recursive: true, force: true});
}
