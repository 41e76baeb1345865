import {type ChildProcess} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {finalPrefix, toolSearchName, type MockRequest} from '../fixtures/mock-anthropic-api.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {claudeBinary} from '../helpers/claude-env.js';
import {waitFor} from '../helpers/wait-for.js';

// Claude Code itself as the main session: a real `claude -p` whose model (the mock) calls ccfleet's MCP tools through
// `ccfleet mcp`, while the daemon runs the delegated work on another real claude.
let sandbox: Sandbox;
let daemon: ChildProcess;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3'});
	daemon = await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox?.cleanup();
});

type StreamLine = {type: string; subtype?: string; [key: string]: unknown};
type ToolDefinition = {name: string; defer_loading?: boolean};
type Block = {type?: string; name?: string; input?: Record<string, unknown>};

/** The config a user would get from `ccfleet mcp config`, with this sandbox's state directory. */
function writeMcpConfig(name: string, options: {alwaysLoad: boolean}): string {
	const file = path.join(sandbox.claude.homeDir, name);
	const entry = {type: 'stdio', command: process.execPath, args: [binPath, 'mcp'], env: {CCFLEET_HOME: sandbox.home}, ...(options.alwaysLoad ? {alwaysLoad: true} : {})};
	writeFileSync(file, JSON.stringify({mcpServers: {ccfleet: entry}}));
	return file;
}

async function runMainSession(prompt: string, mcpConfig: string) {
	// The prompt goes after `--` because --allowedTools is variadic; stdin is ignored because -p would wait for it.
	const result = await execa(
		claudeBinary(),
		['-p', '--output-format', 'stream-json', '--verbose', '--mcp-config', mcpConfig, '--strict-mcp-config', '--allowedTools', 'mcp__ccfleet', '--', prompt],
		{cwd: sandbox.project, env: sandbox.env, stdin: 'ignore', reject: false, timeout: 45_000},
	);
	const lines = result.stdout
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line) as StreamLine);
	return {lines, init: lines.find(line => line.subtype === 'init'), final: lines.find(line => line.type === 'result'), exitCode: result.exitCode, stderr: result.stderr};
}

/** The main session's turns: requests whose first user message is this prompt. */
function turnsOf(prompt: string): MockRequest[] {
	return sandbox.mock.mainRequests().filter(request => JSON.stringify((request.body as {messages?: unknown[]}).messages?.[0] ?? '').includes(prompt.slice(0, 40)));
}

function toolsOf(request: MockRequest): ToolDefinition[] {
	return (request.body as {tools?: ToolDefinition[]}).tools ?? [];
}

function toolUses(requests: MockRequest[]): Block[] {
	const last = requests.at(-1);
	const messages = (last?.body as {messages?: Array<{role: string; content: unknown}>} | undefined)?.messages ?? [];
	return messages
		.flatMap(message => (message.role === 'assistant' && Array.isArray(message.content) ? (message.content as Block[]) : []))
		.filter(block => block.type === 'tool_use');
}

describe('Claude Code as the main session, using ccfleet over MCP', () => {
	it("delegates a task and waits for the worker's answer with the tools offered up front (alwaysLoad)", async () => {
		const config = writeMcpConfig('mcp-always.json', {alwaysLoad: true});
		const delegateArgs = JSON.stringify({prompt: 'Do the work [[reply:worker says hi]]', cwd: sandbox.project});
		const prompt = `Hand this off. [[call:mcp__ccfleet__delegate_task:${delegateArgs}]] [[call:mcp__ccfleet__wait_for_task:{"ids":["$id"]}]]`;
		const run = await runMainSession(prompt, config);

		expect(run.exitCode, run.stderr).toBe(0);
		expect(run.init?.['mcp_servers']).toEqual([expect.objectContaining({name: 'ccfleet', status: 'connected'})]);
		expect(run.final).toMatchObject({subtype: 'success', is_error: false});
		const result = String(run.final?.['result']);
		expect(result.startsWith(finalPrefix)).toBe(true);
		// What the main session's model read from wait_for_task. The prompt quotes the reply too, so look for it as the
		// result: Claude Code 2.1.330 gives the model a tool's structuredContent as JSON, in place of its text content,
		// whenever there is one; the text form is accepted as well in case the tool stops sending structured content.
		expect(result).toMatch(/"result":\s*"worker says hi"|Result:\s*worker says hi/);
		expect(result).toContain('completed');

		const turns = turnsOf(prompt);
		const offered = toolsOf(turns[0]!);
		// With alwaysLoad the schemas are there from the first request, not deferred, and no ToolSearch was needed.
		expect(offered.find(tool => tool.name === 'mcp__ccfleet__delegate_task')).toBeDefined();
		expect(offered.find(tool => tool.name === 'mcp__ccfleet__wait_for_task')?.defer_loading).toBeUndefined();
		const calls = toolUses(turns);
		expect(calls.map(call => call.name)).toEqual(['mcp__ccfleet__delegate_task', 'mcp__ccfleet__wait_for_task']);
		const id = (calls[1]!.input as {ids: string[]}).ids[0]!;
		expect(id).toMatch(/^\w+$/);

		const {stdout} = await sandbox.cli(['status', id, '--json']);
		expect(JSON.parse(stdout) as TaskView).toMatchObject({id, status: 'completed', result: 'worker says hi'});
	}, 55_000);

	it('still reaches the tools without alwaysLoad, after loading them with ToolSearch', async () => {
		const config = writeMcpConfig('mcp-deferred.json', {alwaysLoad: false});
		const prompt = 'What is going on? [[call:mcp__ccfleet__task_status:{}]]';
		const run = await runMainSession(prompt, config);

		expect(run.exitCode, run.stderr).toBe(0);
		expect(String(run.final?.['result'])).toMatch(/^FINAL:[\s\S]*"counts"/);
		const turns = turnsOf(prompt);
		expect(toolsOf(turns[0]!).some(tool => tool.name.startsWith('mcp__ccfleet__'))).toBe(false);
		expect(toolUses(turns)).toMatchObject([{name: toolSearchName, input: {query: 'select:mcp__ccfleet__task_status'}}, {name: 'mcp__ccfleet__task_status'}]);
		expect(toolsOf(turns[1]!).find(tool => tool.name === 'mcp__ccfleet__task_status')).toMatchObject({defer_loading: true});
	}, 55_000);
});

describe('several MCP clients through `ccfleet mcp` at once', () => {
	type Connected = {client: Client; transport: StdioClientTransport};
	const connected: Connected[] = [];

	afterAll(async () => {
		for (const {client} of connected) await client.close().catch(() => undefined);
	});

	async function connect(name: string): Promise<Connected> {
		// The SDK passes only HOME, PATH and a few others by default; the bridge needs CCFLEET_HOME to find this core.
		const transport = new StdioClientTransport({
			command: process.execPath,
			args: [binPath, 'mcp'],
			cwd: sandbox.project,
			env: {PATH: process.env['PATH'] ?? '', ...sandbox.env},
			stderr: 'pipe',
		});
		const client = new Client({name, version: '0.0.0'});
		await client.connect(transport);
		const entry = {client, transport};
		connected.push(entry);
		return entry;
	}

	async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
		const result = await client.callTool({name, arguments: args});
		if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
		return result.structuredContent as T;
	}

	const delegate = async (client: Client, prompt: string) => (await call<{task: TaskView}>(client, 'delegate_task', {prompt, cwd: sandbox.project})).task.id;

	it('lets two clients delegate side by side and both see every task; a client killed mid-wait leaves the core up', async () => {
		const [first, second] = await Promise.all([connect('client-one'), connect('client-two')]);
		const ids = await Promise.all([
			delegate(first.client, 'One A [[reply:one-a]]'),
			delegate(second.client, 'Two A [[reply:two-a]]'),
			delegate(first.client, 'One B [[reply:one-b]]'),
			delegate(second.client, 'Two B [[reply:two-b]]'),
		]);
		expect(new Set(ids).size).toBe(4);
		for (const {client} of [first, second]) {
			const {tasks} = await call<{tasks: TaskView[]}>(client, 'task_status', {limit: 100});
			expect(tasks.map(task => task.id)).toEqual(expect.arrayContaining(ids));
		}

		const waited = await call<{tasks: TaskView[]; allDone: boolean; pending: string[]}>(second.client, 'wait_for_task', {ids, timeout: 40_000});
		expect(waited).toMatchObject({allDone: true, pending: []});
		expect(waited.tasks.map(task => task.result)).toEqual(['one-a', 'two-a', 'one-b', 'two-b']);

		// The first client waits on a task that will not end soon, and its bridge dies during the wait.
		const slow = await delegate(first.client, 'Take long [[slow:30000]]');
		const abandoned = first.client.callTool({name: 'wait_for_task', arguments: {ids: [slow], timeout: 30_000}}).then(
			() => 'answered',
			() => 'connection lost',
		);
		await new Promise(resolve => setTimeout(resolve, 500));
		const bridgePid = first.transport.pid;
		expect(bridgePid).toBeGreaterThan(0);
		process.kill(bridgePid!, 'SIGKILL');
		expect(await abandoned).toBe('connection lost');

		const third = await connect('client-three');
		const {task} = await call<{task: TaskView}>(third.client, 'task_status', {id: slow});
		expect(task.status).toMatch(/^(queued|running)$/);
		const after = await delegate(third.client, 'After the crash [[reply:still here]]');
		const done = await call<{tasks: TaskView[]}>(third.client, 'wait_for_task', {ids: [after], timeout: 30_000});
		expect(done.tasks[0]).toMatchObject({status: 'completed', result: 'still here'});
		expect(daemon.exitCode).toBeNull();
		// The second client's connection was never disturbed.
		await call(second.client, 'fleet_status', {});

		await call(third.client, 'cancel_task', {id: slow, reason: 'test over'});
		await waitFor('the slow task to stop', async () => (await call<{task: TaskView}>(third.client, 'task_status', {id: slow})).task.status === 'cancelled', 10_000);
	}, 55_000);
});
