import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {claudeBinary} from '../helpers/claude-env.js';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js';

// A real `claude -p` main session calls delegate_task with only a prompt, the way Delegate's users call it: the task
// runs in the session's own directory, which ccfleet learns from the roots Claude Code declares (roots/list).
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	// Headless workers: claude -p needs no trust dialog in the session's subdirectory. The daemon runs in the project.
	await sandbox.startDaemon({CCFLEET_MODE: 'headless'});
});

afterAll(async () => {
	await sandbox?.cleanup();
});

describe('a main session delegating with only a prompt', () => {
	it('gets a task in its own directory, which it never named', async () => {
		const session = path.join(sandbox.project, 'service-a');
		mkdirSync(session);
		const config = path.join(sandbox.claude.homeDir, 'mcp-cwd.json');
		const entry = {type: 'stdio', command: process.execPath, args: [binPath, 'mcp'], env: {CCFLEET_HOME: sandbox.home}, alwaysLoad: true};
		writeFileSync(config, JSON.stringify({mcpServers: {ccfleet: entry}}));
		const prompt = 'Hand it off. [[call:mcp__ccfleet__delegate_task:{"prompt":"Where am I [[reply:here]]"}]] [[call:mcp__ccfleet__wait_for_task:{"ids":["$id"]}]]';
		const run = await execa(
			claudeBinary(),
			['-p', '--output-format', 'stream-json', '--verbose', '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__ccfleet', '--', prompt],
			{cwd: session, env: sandbox.env, stdin: 'ignore', reject: false, timeout: 60_000},
		);
		expect(run.exitCode, run.stderr).toBe(0);
		const final = run.stdout
			.split('\n')
			.filter(Boolean)
			.map(line => JSON.parse(line) as {type: string; result?: string})
			.find(line => line.type === 'result');
		expect(final?.result).toMatch(/"result":\s*"here"/);

		const {stdout} = await sandbox.cli(['status', '--json']);
		const tasks = JSON.parse(stdout) as {tasks: TaskView[]};
		const task = tasks.tasks.find(candidate => candidate.prompt.startsWith('Where am I'));
		expect(task).toMatchObject({cwd: session, status: 'completed', result: 'here'});
	}, 90_000);

	it('from a client that declares no roots, gets a task in the directory `ccfleet mcp` was started in', async () => {
		const started = path.join(sandbox.project, 'service-b');
		mkdirSync(started);
		const transport = new StdioClientTransport({
			command: process.execPath,
			args: [binPath, 'mcp'],
			cwd: started,
			env: {...sandbox.env, CCFLEET_HOME: sandbox.home},
			stderr: 'ignore',
		});
		const client = new Client({name: 'no-roots', version: '1'});
		await client.connect(transport);
		try {
			expect(client.getServerCapabilities()?.tools).toBeDefined();
			const result = await client.callTool({name: 'delegate_task', arguments: {prompt: 'Where now [[reply:there]]'}});
			expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
			expect((result.structuredContent as {task: TaskView}).task.cwd).toBe(started);
		} finally {
			await client.close();
		}
	}, 60_000);
});
