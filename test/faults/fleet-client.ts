import {connectMcpClient} from '../../source/mcp/socket-client.js';
import type {TaskView} from '../../source/protocol/views.js';
import type {Sandbox} from '../helpers/ccfleet-process.js';

export type CallTool = (tool: string, args: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** One MCP session to the sandbox's core for `run`; a tool error is thrown with its text. */
export async function withClient<T>(sandbox: Sandbox, run: (call: CallTool) => Promise<T>): Promise<T> {
	const {client, close} = await connectMcpClient(`${sandbox.home}/run/ccfleet.sock`, {name: 'fault-test'});
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

export const allTasks = async (sandbox: Sandbox): Promise<TaskView[]> =>
	withClient(sandbox, async call => ((await call('task_status', {limit: 200})) as {tasks: TaskView[]}).tasks);

export async function delegate(sandbox: Sandbox, args: Record<string, unknown>): Promise<TaskView> {
	return withClient(sandbox, async call => ((await call('delegate_task', {cwd: sandbox.project, ...args})) as {task: TaskView}).task);
}

export const isEnded = (task: TaskView) => ['completed', 'failed', 'cancelled'].includes(task.status);

/** Prompts that each worker sent to the mock API, as JSON text, for "has this worker asked yet". */
export const askedBodies = (sandbox: Sandbox) => sandbox.mock.mainRequests().map(request => JSON.stringify(request.body));
