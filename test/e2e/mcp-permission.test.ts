import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {toolDoneReply, toolRefusedReply} from '../fixtures/mock-anthropic-api.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// A real worker asks for Bash; an MCP client answers over the daemon's socket.
let sandbox: Sandbox;
let connection: McpClientConnection;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	await sandbox.startDaemon();
	connection = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'permission-test'});
});

afterAll(async () => {
	await connection.close();
	await sandbox.cleanup();
});

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
	const result = await connection.client.callTool({name, arguments: args}, undefined, {timeout: 60_000});
	if (result.isError) throw new Error(JSON.stringify(result.content));
	return result.structuredContent as Record<string, unknown>;
}

async function delegateAndWaitForQuestion(command: string): Promise<TaskView> {
	const {task} = (await call('delegate_task', {prompt: `Run it [[tool:bash:${command}]]`, cwd: sandbox.project, permissionMode: 'default'})) as {task: TaskView};
	const waited = (await call('wait_for_task', {ids: [task.id]})) as {tasks: TaskView[]; needsInput: string[]};
	expect(waited.needsInput).toEqual([task.id]);
	expect(waited.tasks[0]!.question).toMatchObject({toolName: 'Bash', toolInput: {command}});
	return waited.tasks[0]!;
}

describe('permission round trip over MCP with the real claude', () => {
	it('approve: the tool runs and the mock sees its result', async () => {
		const task = await delegateAndWaitForQuestion('echo approved-run > approved.txt && cat approved.txt');
		await call('respond_to_task', {id: task.id, action: 'approve'});
		const {tasks} = (await call('wait_for_task', {ids: [task.id]})) as {tasks: TaskView[]};
		expect(tasks[0]).toMatchObject({status: 'completed', result: toolDoneReply});
		expect(readFileSync(path.join(sandbox.project, 'approved.txt'), 'utf8')).toBe('approved-run\n');
		const toolResults = sandbox.mock
			.mainRequests()
			.map(request => JSON.stringify(request.body))
			.filter(body => body.includes('approved-run') && body.includes('tool_result'));
		expect(toolResults.length).toBeGreaterThan(0);
	});

	it('deny: the tool does not run and the worker reads the refusal', async () => {
		const task = await delegateAndWaitForQuestion('echo denied-run > denied.txt');
		await call('respond_to_task', {id: task.id, action: 'deny', message: 'Not on this machine.'});
		const {tasks} = (await call('wait_for_task', {ids: [task.id]})) as {tasks: TaskView[]};
		expect(tasks[0]).toMatchObject({status: 'completed', result: toolRefusedReply});
		expect(existsSync(path.join(sandbox.project, 'denied.txt'))).toBe(false);
		const refusals = sandbox.mock
			.mainRequests()
			.map(request => JSON.stringify(request.body))
			.filter(body => body.includes('Not on this machine.'));
		expect(refusals.length).toBeGreaterThan(0);
	});
});
