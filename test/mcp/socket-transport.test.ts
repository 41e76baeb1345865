import {once} from 'node:events';
import {mkdtemp, rm} from 'node:fs/promises';
import {type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {connectToSocket, listenOnSocket, type SocketListener} from '../../source/mcp/socket-server.js';
import {SocketTransport, TransportClosedError} from '../../source/mcp/socket-transport.js';

let root: string;
let listener: SocketListener;
let serverSide: Promise<Socket>;
let client: Socket;

beforeEach(async () => {
	root = await mkdtemp(join(tmpdir(), 'ccf-'));
	const socketPath = join(root, 'core.sock');
	let accept!: (socket: Socket) => void;
	serverSide = new Promise(resolve => {
		accept = resolve;
	});
	listener = await listenOnSocket(socketPath, socket => accept(socket));
	client = await connectToSocket(socketPath);
	client.on('error', () => {});
});

afterEach(async () => {
	client.destroy();
	await listener.close();
	await rm(root, {recursive: true, force: true});
});

const ping = (id: number): JSONRPCMessage => ({jsonrpc: '2.0', id, method: 'ping'});

type Recorded = {transport: SocketTransport; messages: JSONRPCMessage[]; errors: Error[]; closes: number};

async function startTransport(options?: {maxBufferSize?: number}): Promise<Recorded> {
	const transport = new SocketTransport(await serverSide, options);
	const recorded: Recorded = {transport, messages: [], errors: [], closes: 0};
	transport.onmessage = message => recorded.messages.push(message);
	transport.onerror = error => recorded.errors.push(error);
	transport.onclose = () => recorded.closes++;
	await transport.start();
	return recorded;
}

it('reassembles messages split across chunks and several in one chunk', async () => {
	const recorded = await startTransport();
	const text = JSON.stringify(ping(1)) + '\n' + JSON.stringify(ping(2)) + '\r\n' + JSON.stringify(ping(3));
	client.write(text.slice(0, 10));
	client.write(text.slice(10));
	client.write('\n');
	await expect.poll(() => recorded.messages.length).toBe(3);
	expect(recorded.messages).toEqual([ping(1), ping(2), ping(3)]);
	expect(recorded.errors).toEqual([]);
});

it('sends newline-delimited JSON', async () => {
	const {transport} = await startTransport();
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	await transport.send(ping(7));
	await expect.poll(() => Buffer.concat(received).toString()).toBe(JSON.stringify(ping(7)) + '\n');
});

it('reports a malformed line through onerror and keeps going', async () => {
	const recorded = await startTransport();
	client.write('this is not json\n{"jsonrpc":"2.0","no":"method"}\n' + JSON.stringify(ping(4)) + '\n');
	await expect.poll(() => recorded.messages).toEqual([ping(4)]);
	expect(recorded.errors).toHaveLength(2);
	expect(recorded.errors[0]?.message).toMatch(/not a JSON-RPC message/);
	expect(recorded.closes).toBe(0);
	expect(client.destroyed).toBe(false);
});

it('destroys the socket when a line outgrows the buffer', async () => {
	const recorded = await startTransport({maxBufferSize: 1024});
	const clientClosed = once(client, 'close');
	client.write('x'.repeat(4096));
	await clientClosed;
	await expect.poll(() => recorded.closes).toBe(1);
	expect(recorded.errors.some(error => /size limit/.test(error.message))).toBe(true);
});

it('calls onclose exactly once whichever side closes, even both at once', async () => {
	const recorded = await startTransport();
	client.end();
	await Promise.all([recorded.transport.close(), recorded.transport.close()]);
	await new Promise(resolve => setTimeout(resolve, 50));
	expect(recorded.closes).toBe(1);
});

it('calls onclose when the peer disconnects', async () => {
	const recorded = await startTransport();
	client.destroy();
	await expect.poll(() => recorded.closes).toBe(1);
});

it('rejects send after close with a clear error', async () => {
	const {transport} = await startTransport();
	await transport.close();
	await expect(transport.send(ping(1))).rejects.toBeInstanceOf(TransportClosedError);
	await expect(transport.send(ping(1))).rejects.toThrow(/connection to the ccfleet core is closed/);
});

it('reports a close that happened before start()', async () => {
	const socket = await serverSide;
	const transport = new SocketTransport(socket);
	let closes = 0;
	transport.onclose = () => closes++;
	client.destroy();
	await once(socket, 'close');
	await transport.start();
	await expect.poll(() => closes).toBe(1);
});

it('refuses a second start()', async () => {
	const {transport} = await startTransport();
	await expect(transport.start()).rejects.toThrow(/already started/);
});
