import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process';
import {once} from 'node:events';
import {createServer, type Socket} from 'node:net';
import {PassThrough} from 'node:stream';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {BRIDGE_END_GRACE_MS, runStdioBridge} from '../../source/mcp/stdio-bridge.js';
import {type EchoCore, startEchoCore} from './echo-server.js';

const bridgeScript = fileURLToPath(new URL('../fixtures/run-bridge.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let root: string;
let socketPath: string;
let core: EchoCore;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(async () => {
	root = await mkdtemp(join(tmpdir(), 'ccf-'));
	socketPath = join(root, 'run', 'core.sock');
	core = await startEchoCore(socketPath);
});

afterEach(async () => {
	for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	core.releaseWaits();
	await core.listener.close();
	await rm(root, {recursive: true, force: true});
});

function bridgeEnv(path: string): Record<string, string> {
	return {PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', CCFLEET_SOCKET: path};
}

type Finished = {code: number | null; stdout: string; stderr: string};

function spawnBridge(path = socketPath): {child: ChildProcessWithoutNullStreams; finished: Promise<Finished>} {
	const child = spawn(process.execPath, ['--import', 'tsx', bridgeScript], {cwd: repoRoot, env: bridgeEnv(path)});
	children.push(child);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const finished = once(child, 'close').then(([code]) => ({code: code as number | null, stdout, stderr}));
	return {child, finished};
}

it('carries an MCP session between a stdio client and the socket', async () => {
	const transport = new StdioClientTransport({
		command: process.execPath,
		args: ['--import', 'tsx', bridgeScript],
		cwd: repoRoot,
		env: bridgeEnv(socketPath),
		stderr: 'pipe',
	});
	const client = new Client({name: 'bridge-test', version: '0.0.0'});
	await client.connect(transport);
	try {
		const {tools} = await client.listTools();
		expect(tools.map(tool => tool.name)).toContain('echo');
		const result = await client.callTool({name: 'echo', arguments: {text: 'through the bridge'}});
		expect(result.content).toEqual([{type: 'text', text: 'through the bridge'}]);
		expect(core.servers.size).toBe(1);
	} finally {
		await client.close();
	}

	await core.waitClosed(1);
});

it('exits 0 when its stdin closes, after the core closes the connection', async () => {
	const {child, finished} = spawnBridge();
	await expect.poll(() => core.connectionCount, {timeout: 10_000}).toBe(1);
	child.stdin.end();
	const {code, stdout, stderr} = await finished;
	expect({code, stdout, stderr}).toEqual({code: 0, stdout: '', stderr: ''});
	await core.waitClosed(1);
});

it('exits 0 when the core closes the connection, saying on stderr why the session ended and how to get it back', async () => {
	const {finished} = spawnBridge();
	await expect.poll(() => core.connectionCount, {timeout: 10_000}).toBe(1);
	await core.listener.close();
	const {code, stdout, stderr} = await finished;
	expect({code, stdout, stderr}).toEqual({
		code: 0,
		stdout: '',
		stderr: 'ccfleet mcp: the ccfleet core closed the connection (it stopped or restarted); reconnect (in Claude Code: /mcp) to start it again.\n',
	});
});

it('exits 1 with a message on stderr, and nothing on stdout, when no core runs', async () => {
	const {finished} = spawnBridge(join(root, 'nowhere', 'core.sock'));
	const {code, stdout, stderr} = await finished;
	expect(code).toBe(1);
	expect(stdout).toBe('');
	expect(stderr).toMatch(/^ccfleet mcp: No ccfleet core is running/);
});

it('passes bytes both ways untouched, and cuts a core that never closes after stdin ends', async () => {
	const halfOpenPath = join(root, 'half-open.sock');
	const received: Buffer[] = [];
	let peer: Socket | undefined;
	const server = createServer({allowHalfOpen: true}, socket => {
		peer = socket;
		socket.on('data', chunk => {
			received.push(chunk);
			socket.write(chunk.toString().toUpperCase());
		});
		// Reads our FIN but never sends its own, like a core stuck on a long call.
		socket.on('end', () => {});
		socket.on('error', () => {});
	});
	await new Promise<void>(resolve => server.listen(halfOpenPath, resolve));

	const stdin = new PassThrough();
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	let output = '';
	stdout.on('data', (chunk: Buffer) => {
		output += chunk.toString();
	});
	const started = Date.now();
	const exitCode = runStdioBridge({socketPath: halfOpenPath, stdin, stdout, stderr});

	stdin.write('{"hello":"core"}\n');
	await expect.poll(() => output).toBe('{"HELLO":"CORE"}\n');
	stdin.end();
	expect(await exitCode).toBe(0);
	expect(Date.now() - started).toBeGreaterThanOrEqual(BRIDGE_END_GRACE_MS - 100);
	expect(Buffer.concat(received).toString()).toBe('{"hello":"core"}\n');
	expect(stderr.read()).toBeNull();

	peer?.destroy();
	await new Promise<void>(resolve => server.close(() => resolve()));
});
