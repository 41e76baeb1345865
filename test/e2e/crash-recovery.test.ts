import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {RESUME_PROMPT} from '../../source/core/fleet.js';
import {connectMcpClient} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// kill -9 of the daemon with 3 tasks running and 10 queued; the next daemon must account for all 13.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3'});
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function withClient<T>(run: (call: (tool: string, args: Record<string, unknown>) => Promise<Record<string, unknown>>) => Promise<T>): Promise<T> {
	const {client, close} = await connectMcpClient(`${sandbox.home}/run/ccfleet.sock`, {name: 'crash-test'});
	try {
		return await run(async (tool, args) => {
			const result = await client.callTool({name: tool, arguments: args});
			if (result.isError) throw new Error(JSON.stringify(result.content));
			return result.structuredContent as Record<string, unknown>;
		});
	} finally {
		await close();
	}
}

const allTasks = () => withClient(async call => ((await call('task_status', {limit: 100})) as {tasks: TaskView[]}).tasks);

describe('crash recovery', () => {
	it('after kill -9 with 3 running and 10 queued, resumes the 3 conversations and runs the 10', async () => {
		const first = await sandbox.startDaemon();
		const ids = await withClient(async call => {
			const created: string[] = [];
			// The first three (the queue runs in order) are the ones mid-turn at the kill, held by their first request only, so
			// that resumed they answer at once; the ten behind them need no slow turn of their own.
			for (let i = 0; i < 13; i++) {
				const slow = i < 3 ? ' [[slow:5000:first]]' : '';
				const {task} = (await call('delegate_task', {prompt: `crash task ${i}${slow} [[reply:done ${i}]]`, cwd: sandbox.project})) as {task: TaskView};
				created.push(task.id);
			}
			return created;
		});
		// Killed while all three workers are mid-turn: their conversations are on disk (claude writes the prompt
		// before it calls the API), their answers are not.
		const running = await waitFor(
			'three workers waiting on the API',
			async () => {
				const tasks = await allTasks();
				const busy = tasks.filter(task => task.workerState === 'busy');
				const asked = sandbox.mock.mainRequests().map(request => JSON.stringify(request.body));
				return busy.length === 3 && busy.every(task => asked.some(body => body.includes(task.prompt))) ? busy : undefined;
			},
			60_000,
		);
		expect((await allTasks()).filter(task => task.status === 'queued')).toHaveLength(10);
		first.kill('SIGKILL');
		await waitFor('the first daemon to be gone', () => first.exitCode !== null || first.signalCode !== null, 10_000);

		const second = await sandbox.startDaemon({CCFLEET_MAX_WORKERS: '5'});
		expect(second.pid).not.toBe(first.pid);
		const final = await waitFor(
			'all 13 to end',
			async () => {
				const tasks = await allTasks();
				return tasks.length === 13 && tasks.every(task => ['completed', 'failed', 'cancelled'].includes(task.status)) ? tasks : undefined;
			},
			150_000,
		);

		expect(final.map(task => task.id).sort()).toEqual([...ids].sort());
		for (const task of final) {
			const index = Number(/crash task (\d+)/.exec(task.prompt)![1]);
			expect(task).toMatchObject({status: 'completed', result: `done ${index}`});
			expect(processesOfTask(task.id)).toEqual([]);
		}
		const resumedIds = new Set(running.map(task => task.id));
		for (const task of final) expect(task.attempts).toBe(resumedIds.has(task.id) ? 2 : 1);

		// Each resumed worker continued its own conversation: the request after the restart carries the first prompt.
		const resumedRequests = sandbox.mock
			.mainRequests()
			.map(request => JSON.stringify(request.body))
			.filter(body => body.includes(RESUME_PROMPT));
		for (const task of running) {
			const index = /crash task (\d+)/.exec(task.prompt)![1];
			expect(resumedRequests.some(body => body.includes(`crash task ${index} [[slow`))).toBe(true);
		}
	}, 240_000);
});
