import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// Dependencies, continueFrom, resume and retries after a rate limit, with the real claude on the mock API.
let sandbox: Sandbox;
let connection: McpClientConnection;

beforeAll(async () => {
	// claude would retry a 429 ten times by itself; one retry lets the failure reach ccfleet quickly.
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CLAUDE_CODE_MAX_RETRIES: '1', CCFLEET_RETRY_BASE: '1s'});
	await sandbox.startDaemon();
	connection = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'deps-test'});
});

afterAll(async () => {
	await connection.close();
	await sandbox.cleanup();
});

async function call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
	const result = await connection.client.callTool({name, arguments: args}, undefined, {timeout: 60_000});
	if (result.isError) throw new Error(JSON.stringify(result.content));
	return result.structuredContent as T;
}

const delegate = async (args: Record<string, unknown>) => (await call<{task: TaskView}>('delegate_task', {cwd: sandbox.project, ...args})).task;

async function waitAll(ids: string[]): Promise<TaskView[]> {
	for (;;) {
		const result = await call<{tasks: TaskView[]; allDone: boolean}>('wait_for_task', {ids});
		if (result.allDone) return result.tasks;
	}
}

const bodies = () => sandbox.mock.mainRequests().map(request => JSON.stringify(request.body));

describe('dependencies and resume with the real claude', () => {
	it("runs a dependent after its dependency, with the dependency's checkpoint in its prompt", async () => {
		const first = await delegate({prompt: 'Design the schema [[reply:schema has tables users and orders]]'});
		const second = await delegate({prompt: 'Write the migrations [[reply:migrations written]]', continueFrom: first.id});
		expect(second).toMatchObject({status: 'queued', waitingOn: [first.id]});
		const [a, b] = await waitAll([first.id, second.id]);
		// The checkpoint's result is the task's own, shown once as `result`.
		expect(a).toMatchObject({
			status: 'completed',
			result: 'schema has tables users and orders',
			checkpoint: {sessionId: a!.sessionId, takenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/)},
		});
		expect(Date.parse(b!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a!.endedAt!));
		expect(b!.result).toBe('migrations written');
		const sent = bodies().find(body => body.includes('Write the migrations'));
		expect(sent).toContain(`This task continues from task ${first.id}, which completed`);
		expect(sent).toContain('schema has tables users and orders');
	});

	it('fails the dependents of a task that fails, down the graph', async () => {
		const root = await delegate({prompt: 'Hang [[slow:60000]]'});
		const child = await delegate({prompt: 'Child [[reply:never]]', dependsOn: [root.id]});
		const grandchild = await delegate({prompt: 'Grandchild [[reply:never]]', dependsOn: [child.id], onDependencyFailure: 'skip'});
		await call('cancel_task', {id: root.id, reason: 'test'});
		const [, c, g] = await waitAll([root.id, child.id, grandchild.id]);
		expect(c).toMatchObject({status: 'failed', failureReason: `Not started: dependency ${root.id} cancelled (test).`});
		expect(g).toMatchObject({status: 'skipped'});
		expect(bodies().some(body => body.includes('Grandchild'))).toBe(false);
	});

	it('resumes a finished task: the request carries the earlier conversation', async () => {
		const first = await delegate({prompt: 'Pick a colour [[reply:I pick teal]]'});
		await waitAll([first.id]);
		const {task: resumed, resumedConversation} = await call<{task: TaskView; resumedConversation: boolean}>('resume_task', {
			id: first.id,
			additionalContext: 'Which colour did you pick? [[reply:teal, as before]]',
		});
		expect(resumedConversation).toBe(true);
		const [done] = await waitAll([resumed.id]);
		expect(done).toMatchObject({status: 'completed', result: 'teal, as before', parentTaskId: first.id});
		const sent = bodies().find(body => body.includes('Which colour did you pick?'));
		expect(sent).toContain('Pick a colour');
		expect(sent).toContain('I pick teal');
	});

	it('retries a task that met a 429 and then succeeds', async () => {
		// Two requests per run (one retry by claude itself): the first run meets two 429s and fails, the second gets through.
		const task = await delegate({prompt: 'Busy API [[status:429:3]] [[reply:got through]]', mode: 'headless'});
		const [done] = await waitAll([task.id]);
		expect(done).toMatchObject({status: 'completed', result: 'got through'});
		expect(done!.attempts).toBeGreaterThan(1);
		const {log} = await call<{log: string}>('task_logs', {id: task.id});
		expect(log).toContain('trying again in');
	});
});
