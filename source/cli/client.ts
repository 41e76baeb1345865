import type {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {ResourceUpdatedNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import type {Config} from '../config.js';
import type {TaskStatus} from '../core/domain/task.js';
import {TOOL_RESULTS, type ToolName, type ToolResult} from '../protocol/tool-results.js';
import type {TaskView} from '../protocol/views.js';
import {connectMcpClient} from '../mcp/socket-client.js';
import {NoCoreRunningError} from '../mcp/socket-server.js';
import {startDaemon} from './daemon-launch.js';
import {CliError, plainToolMessage} from './errors.js';
import {messageOf} from '../core/domain/errors.js';

export {createProgress, type Progress} from './progress.js';

export {CliError} from './errors.js';
export {startDaemon} from './daemon-launch.js';

export type FleetClient = {
	/**
	 * Calls a tool and reads its answer through the tool's result schema (protocol/tool-results.ts), so a caller gets
	 * a checked value, never a cast. An isError result becomes a CliError carrying the tool's message.
	 */
	call<N extends ToolName>(tool: N, args: Record<string, unknown>): Promise<ToolResult<N>>;
	/**
	 * Subscribes to a resource; `onUpdated` then hears every notifications/resources/updated for that URI, with the
	 * notification's `_meta`. Rejects when the core refuses (an older core without the resource).
	 */
	subscribe(uri: string, onUpdated: (meta: Record<string, unknown> | undefined) => void): Promise<void>;
	/** `listener` runs once when the connection ends, whichever side ended it. */
	onClose(listener: () => void): void;
	close(): Promise<void>;
};

/** Where a command prints its result (tests give their own). */
export type Output = {out: (text: string) => void};
export const stdout: Output = {out: text => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)};

/** Runs `run` with a client of the core (started if none runs), closing the connection afterwards. */
export async function withFleet<T>(config: Config, run: (fleet: FleetClient) => Promise<T>): Promise<T> {
	const fleet = await connectFleet(config);
	try {
		return await run(fleet);
	} finally {
		await fleet.close();
	}
}

/** Connects to the core of this state directory, starting a background daemon when none runs (and saying so). */
export async function connectFleet(config: Config, options: {startDaemon?: boolean; name?: string} = {}): Promise<FleetClient> {
	const name = options.name ?? 'ccfleet-cli';
	let connection: {client: Client; close(): Promise<void>};
	try {
		connection = await connectMcpClient(config.socketPath, {name});
	} catch (error) {
		if (!(error instanceof NoCoreRunningError) || options.startDaemon === false) throw error;
		await startDaemon(config);
		connection = await connectMcpClient(config.socketPath, {name});
	}
	const {client} = connection;
	const onUpdated = new Map<string, (meta: Record<string, unknown> | undefined) => void>();
	const closeListeners: Array<() => void> = [];
	let isClosed = false;
	client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => {
		onUpdated.get(notification.params.uri)?.(notification.params._meta);
	});
	const previousOnClose = client.onclose;
	client.onclose = () => {
		previousOnClose?.();
		isClosed = true;
		for (const listener of closeListeners.splice(0)) listener();
	};
	return {
		async call(tool, args) {
			let result: Awaited<ReturnType<Client['callTool']>>;
			try {
				result = await client.callTool({name: tool, arguments: args});
			} catch (error) {
				// A protocol-level refusal (McpError) reads like a tool's own error, without the SDK's prefixes.
				throw new CliError(plainToolMessage(messageOf(error)));
			}
			const parts = Array.isArray(result.content) ? (result.content as Array<{type: string; text?: string}>) : [];
			const text = parts.map(part => (part.type === 'text' ? (part.text ?? '') : '')).join('\n');
			if (result.isError) throw new CliError(plainToolMessage(text) || `${tool} failed.`);
			return readToolResult(tool, result.structuredContent);
		},
		async subscribe(uri, listener) {
			onUpdated.set(uri, listener);
			try {
				await client.subscribeResource({uri});
			} catch (error) {
				onUpdated.delete(uri);
				throw error;
			}
		},
		onClose(listener) {
			if (isClosed) listener();
			else closeListeners.push(listener);
		},
		close: () => connection.close(),
	};
}

/** A tool's structured answer, checked against its schema; a mismatch means the core runs another version of ccfleet. */
function readToolResult<N extends ToolName>(tool: N, structured: unknown): ToolResult<N> {
	const parsed = TOOL_RESULTS[tool].safeParse(structured);
	if (parsed.success) return parsed.data as ToolResult<N>;
	const issue = parsed.error.issues[0];
	throw new CliError(
		`The core answered ${tool} in a shape this ccfleet does not know (${issue ? `${issue.path.join('.') || 'the answer'}: ${issue.message}` : 'no details'}). ` +
			'The running core is probably another version: stop it with `ccfleet stop` and run the command again.',
	);
}

/** One task in full (task_status with an id). */
export async function getTask(fleet: FleetClient, id: string): Promise<TaskView> {
	const {task} = await fleet.call('task_status', {id});
	if (!task) throw new CliError(`The core's answer to task_status has no task ${id}; the running core is probably another version of ccfleet.`);
	return task;
}

/** The newest tasks, with the counts per status (task_status without an id). */
export async function listTasks(
	fleet: FleetClient,
	args: {status?: readonly string[]; limit?: number},
): Promise<{tasks: TaskView[]; counts: Partial<Record<TaskStatus, number>>}> {
	const {tasks, counts} = await fleet.call('task_status', args);
	return {tasks: tasks ?? [], counts: counts ?? {}};
}
