import path from 'node:path';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {ListRootsRequestSchema, ResourceUpdatedNotificationSchema} from '@modelcontextprotocol/sdk/types.js';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MAX_SESSIONS_PER_TOKEN} from '../../source/http/mcp-endpoint.js';
import {connectMcpClient} from '../../source/mcp/socket-client.js';
import {FLEET_URI, fleetChangesOf, type FleetChanges} from '../../source/protocol/fleet-changes.js';
import type {TaskView} from '../../source/protocol/views.js';
import {waitFor} from '../helpers/wait-for.js';
import {createHttpSandbox, type HttpSandbox} from './http-sandbox.js';

// MCP over streamable HTTP at /mcp: the socket's tools and resources, behind the tokens.
let http: HttpSandbox;
const clients: Client[] = [];

beforeAll(async () => {
	http = await createHttpSandbox({CCFLEET_MODE: 'headless'});
}, 60_000);

afterAll(async () => {
	for (const client of clients) await client.close().catch(() => undefined);
	await http?.cleanup();
});

async function connect(token: string | undefined, name = 'http-test'): Promise<Client> {
	const transport = new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {requestInit: {headers: token ? {Authorization: `Bearer ${token}`} : {}}});
	const client = new Client({name, version: '1'});
	await client.connect(transport);
	clients.push(client);
	return client;
}

describe('MCP over HTTP', () => {
	it('lists the same tools and resources as the socket', async () => {
		const client = await connect(http.token);
		const socket = await connectMcpClient(path.join(http.sandbox.home, 'run', 'ccfleet.sock'), {name: 'socket-test'});
		try {
			const overHttp = (await client.listTools()).tools.map(tool => tool.name).sort();
			const overSocket = (await socket.client.listTools()).tools.map(tool => tool.name).sort();
			expect(overHttp).toEqual(overSocket);
			expect(overHttp).toContain('delegate_task');
			expect((await client.listResources()).resources.map(resource => resource.uri)).toEqual(
				(await socket.client.listResources()).resources.map(resource => resource.uri),
			);
		} finally {
			await socket.close();
		}
	});

	it('delegates a task with cwd and waits for it; without cwd it says why cwd is needed over HTTP', async () => {
		const client = await connect(http.token);
		const missing = await client.callTool({name: 'delegate_task', arguments: {prompt: 'x'}});
		expect(missing.isError).toBe(true);
		expect(JSON.stringify(missing.content)).toContain('Over HTTP ccfleet cannot take your directory from your session');
		const result = await client.callTool({name: 'delegate_task', arguments: {prompt: 'Over MCP [[reply:mcp over http]]', cwd: http.sandbox.project}});
		expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
		const {id} = (result.structuredContent as {task: TaskView}).task;
		const waited = await client.callTool({name: 'wait_for_task', arguments: {ids: [id]}}, undefined, {timeout: 90_000});
		expect((waited.structuredContent as {tasks: TaskView[]}).tasks[0]).toMatchObject({id, status: 'completed', result: 'mcp over http'});
		// Who did it: the MCP client's name, as on the socket.
		const status = await client.callTool({name: 'task_status', arguments: {id}});
		expect((status.structuredContent as {task: TaskView}).task.status).toBe('completed');
	}, 90_000);

	it('sends the fleet resource’s change notifications on the session’s stream', async () => {
		const client = await connect(http.token);
		const changes: FleetChanges[] = [];
		client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => {
			const set = notification.params.uri === FLEET_URI ? fleetChangesOf(notification.params._meta) : undefined;
			if (set) changes.push(set);
		});
		await client.subscribeResource({uri: FLEET_URI});
		const created = await http.call('POST', '/tasks', {body: {prompt: 'Noticed [[reply:noticed]]', cwd: http.sandbox.project}});
		const {id} = created.json()['task'] as TaskView;
		await waitFor('a notification of the task completing', () => changes.some(set => set.tasks.some(task => task.id === id && task.status === 'completed')), 60_000);
	}, 60_000);

	it('reports the progress of a long wait_for_task on the request’s stream', async () => {
		const client = await connect(http.token);
		const created = await client.callTool({name: 'delegate_task', arguments: {prompt: 'Slowly [[slow:7000]] [[reply:slow one]]', cwd: http.sandbox.project}});
		const {id} = (created.structuredContent as {task: TaskView}).task;
		const progress: number[] = [];
		const waited = await client.callTool({name: 'wait_for_task', arguments: {ids: [id]}}, undefined, {
			timeout: 90_000,
			onprogress: ({progress: value}) => progress.push(value),
		});
		expect((waited.structuredContent as {tasks: TaskView[]}).tasks[0]).toMatchObject({status: 'completed', result: 'slow one'});
		expect(progress.length).toBeGreaterThan(0);
		expect(progress).toEqual([...progress].sort((a, b) => a - b));
	}, 90_000);

	it('lets a read-only token read but not change anything (403), and refuses a missing token (401)', async () => {
		const viewer = await connect(http.readOnlyToken, 'viewer');
		const status = await viewer.callTool({name: 'fleet_status', arguments: {}});
		expect(status.isError).toBeFalsy();
		await expect(viewer.callTool({name: 'delegate_task', arguments: {prompt: 'x', cwd: http.sandbox.project}})).rejects.toThrow(
			/read-only and delegate_task changes the fleet/,
		);
		await expect(viewer.callTool({name: 'cancel_task', arguments: {id: 'whatever'}})).rejects.toThrow(/read-only and cancel_task/);
		// The status itself, as a raw request on the viewer's session shows it.
		const sessionId = (viewer.transport as StreamableHTTPClientTransport).sessionId!;
		const raw = await http.call('POST', '/mcp', {
			token: http.readOnlyToken,
			headers: {'Mcp-Session-Id': sessionId, Accept: 'application/json, text/event-stream', 'Mcp-Protocol-Version': '2025-06-18'},
			body: {jsonrpc: '2.0', id: 9, method: 'tools/call', params: {name: 'respond_to_task', arguments: {id: 'x', action: 'approve'}}},
		});
		expect(raw.status).toBe(403);
		expect(raw.json()).toMatchObject({jsonrpc: '2.0', id: 9, error: {code: -32003}});
		await expect(connect(undefined)).rejects.toThrow(/This needs a token/);
	});

	it('says over HTTP that a declared root which is not a directory here may be on another machine', async () => {
		const transport = new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {requestInit: {headers: {Authorization: `Bearer ${http.token}`}}});
		const client = new Client({name: 'remote-with-roots', version: '1'}, {capabilities: {roots: {}}});
		client.setRequestHandler(ListRootsRequestSchema, () => ({roots: [{uri: 'file:///home/someone/elsewhere', name: 'elsewhere'}]}));
		await client.connect(transport);
		clients.push(client);
		const result = await client.callTool({name: 'delegate_task', arguments: {prompt: 'x'}});
		expect(result.isError).toBe(true);
		expect(JSON.stringify(result.content)).toMatch(/cwd \/home\/someone\/elsewhere does not exist.*over HTTP that may be a path on another machine/);
	});

	it('ends a session on DELETE: its id gets 404 afterwards', async () => {
		const client = await connect(http.token);
		const transport = client.transport as StreamableHTTPClientTransport;
		const sessionId = transport.sessionId!;
		await transport.terminateSession();
		const after = await http.call('POST', '/mcp', {
			headers: {'Mcp-Session-Id': sessionId, Accept: 'application/json, text/event-stream', 'Mcp-Protocol-Version': '2025-06-18'},
			body: {jsonrpc: '2.0', id: 3, method: 'ping'},
		});
		expect(after.status).toBe(404);
	});

	it('keeps at most MAX_SESSIONS_PER_TOKEN sessions per token, closing the least recently used', async () => {
		const token = (await http.sandbox.cli(['token', 'create', '--name', 'restless'])).stdout.trim();
		const headers = {Accept: 'application/json, text/event-stream'};
		const initialize = {
			jsonrpc: '2.0',
			id: 1,
			method: 'initialize',
			params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'restless', version: '1'}},
		};
		const ids: string[] = [];
		for (let index = 0; index <= MAX_SESSIONS_PER_TOKEN; index++) {
			const answer = await http.call('POST', '/mcp', {token, headers, body: initialize});
			expect(answer.status).toBe(200);
			ids.push(String(answer.headers['mcp-session-id']));
		}
		const ping = (id: string) =>
			http.call('POST', '/mcp', {
				token,
				headers: {...headers, 'Mcp-Session-Id': id, 'Mcp-Protocol-Version': '2025-06-18'},
				body: {jsonrpc: '2.0', id: 2, method: 'ping'},
			});
		expect((await ping(ids[0]!)).status).toBe(404);
		expect((await ping(ids[1]!)).status).toBe(200);
		expect((await ping(ids.at(-1)!)).status).toBe(200);
	});

	it("keeps a session to the token that opened it: another token's requests get 404", async () => {
		const client = await connect(http.token);
		const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
		const stolen = await http.call('POST', '/mcp', {
			token: http.readOnlyToken,
			headers: {'Mcp-Session-Id': sessionId, Accept: 'application/json, text/event-stream'},
			body: {jsonrpc: '2.0', id: 5, method: 'tools/list'},
		});
		expect(stolen.status).toBe(404);
		const malformed = await http.call('POST', '/mcp', {headers: {Accept: 'application/json, text/event-stream'}, body: '{"jsonrpc": '});
		expect(malformed.status).toBe(400);
	});
});
