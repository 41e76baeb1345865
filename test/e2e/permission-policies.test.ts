import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import type {QuestionView} from '../../source/protocol/tool-results.js';
import type {TaskView} from '../../source/protocol/views.js';
import {toolDoneReply, toolRefusedReply} from '../fixtures/mock-anthropic-api.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Permission rules with the real claude on the mock API: the user's policy file allows `npm test` and denies
// `rm -rf` with a message; a curl no rule covers reaches the inbox and is answered over MCP with "always, for this
// project", after which the same call passes without asking. Once per driver. Every test follows tasks of its own (told
// apart by id and by the command in its prompt), and each driver has a sandbox, mock and core of its own: all four run
// side by side, within the ceiling of three workers per core.
for (const mode of ['pty', 'headless'] as const) {
	describe.concurrent(`permission rules with the real claude (${mode})`, () => {
		let sandbox: Sandbox;
		let connection: McpClientConnection;

		beforeAll(async () => {
			sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', CCFLEET_MODE: mode});
			writeFileSync(
				path.join(sandbox.home, 'policy.json'),
				JSON.stringify({
					permissions: {
						allow: ['Bash(npm test:*)'],
						deny: [{rule: 'Bash(rm -rf:*)', message: 'Never delete build by hand; run npm run clean instead.'}],
					},
				}),
			);
			writeFileSync(path.join(sandbox.project, 'package.json'), JSON.stringify({name: 'p', private: true, scripts: {test: 'echo tests-passed-here'}}));
			mkdirSync(path.join(sandbox.project, 'build'), {recursive: true});
			await sandbox.startDaemon();
			connection = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'policy-test'});
		});

		afterAll(async () => {
			await connection?.close();
			await sandbox.cleanup();
		});

		async function call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
			const result = await connection.client.callTool({name, arguments: args}, undefined, {timeout: 60_000});
			if (result.isError) throw new Error(JSON.stringify(result.content));
			return result.structuredContent as T;
		}
		const delegate = async (command: string) =>
			(await call<{task: TaskView}>('delegate_task', {prompt: `Run it [[tool:bash:${command}]]`, cwd: sandbox.project, permissionMode: 'default'})).task.id;
		const completed = (id: string) =>
			waitFor(
				`task ${id} to complete`,
				async () => {
					const {task} = await call<{task: TaskView}>('task_status', {id});
					return task.status === 'completed' ? task : undefined;
				},
				90_000,
				100,
			).catch(async (error: unknown) => {
				const {task} = await call<{task: TaskView}>('task_status', {id});
				const {log} = await call<{log: string}>('task_logs', {id});
				throw new Error(`${String(error)}: ${JSON.stringify({status: task.status, question: task.question, answers: task.answers})}\n${log.slice(-1500)}`);
			});
		const toolResults = (marker: string) =>
			sandbox.mock
				.mainRequests()
				.map(request => JSON.stringify(request.body))
				.filter(body => body.includes('tool_result') && body.includes(marker));

		it('a rule approves npm test, and the tool runs; a rule denies rm -rf, and the worker reads its message', async () => {
			const [allowed, denied] = await Promise.all([delegate('npm test'), delegate('rm -rf build')]);
			const [ran, refused] = await Promise.all([completed(allowed), completed(denied)]);
			expect(ran.result).toBe(toolDoneReply);
			expect(ran.answers).toEqual([expect.objectContaining({answer: 'allow', by: 'rule', rule: expect.objectContaining({text: 'Bash(npm test:*)', level: 'user'})})]);
			expect(toolResults('tests-passed-here').length).toBeGreaterThan(0);
			expect(refused.result).toBe(toolRefusedReply);
			expect(refused.answers?.[0]).toMatchObject({answer: 'deny', by: 'rule', rule: {text: 'Bash(rm -rf:*)'}});
			expect(existsSync(path.join(sandbox.project, 'build'))).toBe(true);
			expect(toolResults('Never delete build by hand').length).toBeGreaterThan(0);
			const {log} = await call<{log: string}>('task_logs', {id: allowed});
			expect(log).toContain('allowed');
			expect(log).toContain('Bash(npm test:*)');
		}, 150_000);

		it('a call no rule covers waits in the inbox, is answered over MCP for the project, and then passes without asking', async () => {
			const command = 'curl -s --max-time 1 http://127.0.0.1:9/ping || echo curl-done';
			const asking = await delegate(command);
			const [question] = await waitFor(
				'the question in the inbox',
				async () => {
					const {questions} = await call<{questions: QuestionView[]}>('list_questions', {});
					return questions.some(q => q.taskId === asking) ? questions : undefined;
				},
				60_000,
				100,
			);
			expect(question).toMatchObject({taskId: asking, cwd: sandbox.project, toolName: 'Bash', toolInput: {command}, prompt: expect.stringContaining('Run it')});
			await call('respond_to_task', {id: asking, action: 'approve', always: 'project'});
			expect((await completed(asking)).answers?.[0]).toMatchObject({answer: 'allow', by: 'person'});
			const policy = JSON.parse(readFileSync(path.join(sandbox.home, 'policy.json'), 'utf8')) as {projects: Record<string, {allow: string[]}>};
			expect(policy.projects[sandbox.project]?.allow).toContain('Bash(curl -s --max-time 1 http://127.0.0.1:9/ping)');

			const again = await delegate(command);
			const done = await completed(again);
			expect(done.answers).toEqual([expect.objectContaining({answer: 'allow', by: 'rule', rule: expect.objectContaining({level: 'project'})})]);
		}, 150_000);
	});
}
