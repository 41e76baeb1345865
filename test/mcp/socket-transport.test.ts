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

it('answers and closes the connection when a line outgrows the buffer', async () => {
	const recorded = await startTransport({maxBufferSize: 1024});
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	const clientClosed = once(client, 'close');
	client.write('x'.repeat(4096));
	await clientClosed;
	await expect.poll(() => recorded.closes).toBe(1);
	expect(recorded.errors.some(error => /size limit/.test(error.message))).toBe(true);
	expect(JSON.parse(Buffer.concat(received).toString())).toMatchObject({
		jsonrpc: '2.0',
		id: null,
		error: {code: -32600, message: expect.stringMatching(/longer than 1024 bytes/)},
	});
});

/** Writes raw lines and collects the answers, one parsed JSON value per line. */
async function answersTo(lines: string[], count: number): Promise<Record<string, unknown>[]> {
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	client.write(lines.map(line => `${line}\n`).join(''));
	const text = () => Buffer.concat(received).toString();
	await expect.poll(() => text().split('\n').filter(Boolean).length).toBe(count);
	return text()
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line) as Record<string, unknown>);
}

it('answers a line that is not JSON with -32700 and a bad request with -32600, keeping its id', async () => {
	const recorded = await startTransport();
	const bad = [
		'not json',
		'{"jsonrpc":"2.0","id":1',
		'{"jsonrpc":"1.0","id":2,"method":"ping"}',
		'{"id":3,"method":"ping"}',
		'{"jsonrpc":"2.0","id":4}',
		'{"jsonrpc":"2.0","id":5,"method":7}',
		'{"jsonrpc":"2.0","id":6,"method":"ping","params":"x"}',
		'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
		'[{"jsonrpc":"2.0","id":8,"method":"ping"}]',
		'42',
	];
	const answers = await answersTo(bad, bad.length);
	expect(answers.map(answer => (answer['error'] as {code: number}).code)).toEqual([-32700, -32700, ...Array.from({length: 8}, () => -32600)]);
	expect(answers.map(answer => answer['id'])).toEqual([null, null, 2, 3, 4, 5, 6, null, null, null]);
	expect((answers[2]!['error'] as {message: string}).message).toMatch(/"jsonrpc" must be "2.0"/);
	expect((answers[4]!['error'] as {message: string}).message).toMatch(/"method" must be a string/);
	expect(recorded.messages).toEqual([]);
});

it('never answers a malformed response, so two peers cannot answer each other forever', async () => {
	const recorded = await startTransport();
	client.write('{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"x"}}\n' + JSON.stringify(ping(9)) + '\n');
	await expect.poll(() => recorded.messages).toEqual([ping(9)]);
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	await recorded.transport.send({jsonrpc: '2.0', id: 9, result: {}});
	await expect.poll(() => Buffer.concat(received).toString()).toBe('{"jsonrpc":"2.0","id":9,"result":{}}\n');
});

it("turns the SDK's raw schema dump into a one-line invalid-params error naming the method", async () => {
	const recorded = await startTransport();
	client.write('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":"str"}}\n');
	await expect.poll(() => recorded.messages.length).toBe(1);
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	const dump = JSON.stringify(
		[{expected: 'record', code: 'invalid_type', path: ['params', 'arguments'], message: 'Invalid input: expected record, received string'}],
		null,
		2,
	);
	await recorded.transport.send({jsonrpc: '2.0', id: 3, error: {code: -32603, message: dump}});
	await expect.poll(() => Buffer.concat(received).toString()).toMatch(/\n$/);
	const answer = JSON.parse(Buffer.concat(received).toString()) as {error: {code: number; message: string}};
	expect(answer.error.code).toBe(-32602);
	expect(answer.error.message).toBe(
		'Invalid params: the params of tools/call are wrong: params.arguments: expected an object, received string. A tool call needs params {"name": <tool>, "arguments": {…}}, arguments being an object; tools/list gives each schema.',
	);
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

it('turns the SDK\'s bare "Invalid URL" for resources/read into an invalid-params error that says which URIs exist', async () => {
	const recorded = await startTransport();
	client.write('{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"not a uri"}}\n');
	await expect.poll(() => recorded.messages.length).toBe(1);
	const received: Buffer[] = [];
	client.on('data', (chunk: Buffer) => received.push(chunk));
	await recorded.transport.send({jsonrpc: '2.0', id: 4, error: {code: -32603, message: 'Invalid URL'}});
	await expect.poll(() => Buffer.concat(received).toString()).toMatch(/\n$/);
	expect(JSON.parse(Buffer.concat(received).toString())).toMatchObject({
		id: 4,
		error: {code: -32602, message: expect.stringMatching(/^Invalid params: the uri of resources\/read is not an absolute URI/)},
	});
});
