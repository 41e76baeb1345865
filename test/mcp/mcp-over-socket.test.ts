import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import {connectToSocket, NoCoreRunningError} from '../../source/mcp/socket-server.js';
import {SocketTransport} from '../../source/mcp/socket-transport.js';
import {type EchoCore, startEchoCore} from './echo-server.js';

let root: string;
let socketPath: string;
let core: EchoCore;
const connections: McpClientConnection[] = [];

beforeEach(async () => {
	root = await mkdtemp(join(tmpdir(), 'ccf-'));
	socketPath = join(root, 'run', 'core.sock');
	core = await startEchoCore(socketPath);
});

afterEach(async () => {
	core.releaseWaits();
	await Promise.all(connections.splice(0).map(async connection => connection.close()));
	await core.listener.close();
	await rm(root, {recursive: true, force: true});
});

async function connect(name: string): Promise<McpClientConnection> {
	const connection = await connectMcpClient(socketPath, {name});
	connections.push(connection);
	return connection;
}

it('serves two clients at once, each with its own McpServer', async () => {
	const [a, b] = await Promise.all([connect('a'), connect('b')]);
	expect(core.servers.size).toBe(2);

	const {tools} = await a.client.listTools();
	expect(tools.map(tool => tool.name).sort()).toEqual(['echo', 'wait']);

	const [fromA, fromB] = await Promise.all([a.client.callTool({name: 'echo', arguments: {text: 'from a'}}), b.client.callTool({name: 'echo', arguments: {text: 'from b'}})]);
	expect(fromA.content).toEqual([{type: 'text', text: 'from a'}]);
	expect(fromB.content).toEqual([{type: 'text', text: 'from b'}]);
});

it('turns bad arguments into a tool error, not a dropped connection', async () => {
	const {client} = await connect('bad');
	const result = await client.callTool({name: 'echo', arguments: {text: 42}});
	expect(result.isError).toBe(true);
	expect((await client.callTool({name: 'echo', arguments: {text: 'still here'}})).content).toEqual([{type: 'text', text: 'still here'}]);
});

it('survives a client that disconnects in the middle of a call', async () => {
	const socket = await connectToSocket(socketPath);
	const quitter = new Client({name: 'quitter', version: '0.0.0'});
	await quitter.connect(new SocketTransport(socket));
	const pending = quitter.callTool({name: 'wait'});
	pending.catch(() => {});
	await core.waitEntered(1);

	socket.destroy();
	await core.waitClosed(1);
	await expect(pending).rejects.toThrow();
	// The handler now finishes and its reply has nowhere to go.
	core.releaseWaits();

	const {client} = await connect('survivor');
	expect((await client.callTool({name: 'echo', arguments: {text: 'alive'}})).content).toEqual([{type: 'text', text: 'alive'}]);
	expect(core.servers.size).toBe(1);
});

it('closing a client ends its server session', async () => {
	const connection = await connect('short');
	expect(core.servers.size).toBe(1);
	await connection.close();
	await connection.close();
	await core.waitClosed(1);
	expect(core.servers.size).toBe(0);
});

it('connectMcpClient rejects with NoCoreRunningError when no core listens', async () => {
	await expect(connectMcpClient(join(root, 'nowhere', 'core.sock'), {name: 'lost'})).rejects.toBeInstanceOf(NoCoreRunningError);
});
