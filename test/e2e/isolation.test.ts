import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// A real worker in a git worktree of its own: its changes reach the checkout only through the merge strategy.
let sandbox: Sandbox;
let connection: McpClientConnection;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '2'});
	const git = (...args: string[]) =>
		execa('git', args, {cwd: sandbox.project, env: {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'}});
	await git('init', '-q', '-b', 'main');
	writeFileSync(path.join(sandbox.project, 'README'), 'project\n');
	await git('add', '.');
	await git('commit', '-qm', 'first');
	await sandbox.startDaemon();
	connection = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'isolation-test'});
});

afterAll(async () => {
	await connection.close();
	await sandbox.cleanup();
});

async function call<T>(name: string, args: Record<string, unknown>): Promise<T> {
	const result = await connection.client.callTool({name, arguments: args}, undefined, {timeout: 60_000});
	if (result.isError) throw new Error(JSON.stringify(result.content));
	return result.structuredContent as T;
}

async function runIsolated(file: string, mergeStrategy: string): Promise<TaskView> {
	const {task} = await call<{task: TaskView}>('delegate_task', {
		prompt: `Write it [[tool:bash:echo isolated > ${file}]]`,
		cwd: sandbox.project,
		permissionMode: 'default',
		isolation: 'worktree',
		mergeStrategy,
	});
	const asked = await call<{tasks: TaskView[]}>('wait_for_task', {ids: [task.id]});
	expect(asked.tasks[0]!.status).toBe('needs_input');
	expect(asked.tasks[0]!.worktree!.path).toBe(path.join(sandbox.home, 'worktrees', task.id));
	await call('respond_to_task', {id: task.id, action: 'approve'});
	for (;;) {
		const {task: current} = await call<{task: TaskView}>('task_status', {id: task.id});
		if (current.merge) return current;
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

describe('worktree isolation with the real claude', () => {
	it('works in its own worktree and merges completed work back (auto)', async () => {
		const done = await runIsolated('merged.txt', 'auto');
		expect(done).toMatchObject({status: 'completed', merge: {merged: true}});
		expect(readFileSync(path.join(sandbox.project, 'merged.txt'), 'utf8')).toBe('isolated\n');
		expect(existsSync(done.worktree!.path)).toBe(false);
	});

	it('leaves the work on its branch (manual), off the checkout', async () => {
		const done = await runIsolated('kept.txt', 'manual');
		expect(done.merge).toMatchObject({merged: false, branchKept: true});
		expect(existsSync(path.join(sandbox.project, 'kept.txt'))).toBe(false);
		const {stdout} = await execa('git', ['show', `ccfleet/${done.id}:kept.txt`], {cwd: sandbox.project});
		expect(stdout).toBe('isolated');
	});
});

describe('continuing an isolated task with the real claude', () => {
	it('retries in a fresh worktree with the same merge strategy, and resumes in its own worktree with its conversation', async () => {
		const first = await runIsolated('first.txt', 'manual');
		expect(first.status).toBe('completed');

		// A retry is a new task with every setting: its own worktree, the same strategy (the work stays on its branch).
		const {task: retried} = await call<{task: TaskView}>('retry_task', {id: first.id});
		expect(retried).toMatchObject({isolation: 'worktree', mergeStrategy: 'manual', permissionMode: 'default', retryOf: first.id});
		const retryAsked = await call<{tasks: TaskView[]}>('wait_for_task', {ids: [retried.id]});
		expect(retryAsked.tasks[0]!.worktree!.path).toBe(path.join(sandbox.home, 'worktrees', retried.id));
		await call('respond_to_task', {id: retried.id, action: 'approve'});
		await call('wait_for_task', {ids: [retried.id]});
		expect(existsSync(path.join(sandbox.project, 'first.txt'))).toBe(false);

		// A resume works where the conversation is: the first task's worktree, on its branch, and claude gets it back.
		const {task: resumed, resumedConversation} = await call<{task: TaskView; resumedConversation: boolean}>('resume_task', {
			id: first.id,
			additionalContext: 'Now say what you wrote.',
		});
		expect(resumedConversation).toBe(true);
		const done = await call<{tasks: TaskView[]}>('wait_for_task', {ids: [resumed.id]});
		expect(done.tasks[0]).toMatchObject({status: 'completed', mergeStrategy: 'manual', worktree: {path: first.worktree!.path, branch: first.worktree!.branch}});
		const resumedRequest = sandbox.mock
			.mainRequests()
			.map(request => JSON.stringify(request.body))
			.find(body => body.includes('Now say what you wrote.'));
		expect(resumedRequest).toContain('echo isolated > first.txt');
	});
});
