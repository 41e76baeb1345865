import {connect, type Socket} from 'node:net';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {MAX_BODY_BYTES} from '../../source/http/request-body.js';
import {waitFor} from '../helpers/wait-for.js';
import {request} from './http-sandbox.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// Whatever arrives on the port, the core answers it (or drops the connection) and goes on serving.
let server: InProcessServer;

beforeAll(async () => {
	server = await startInProcess();
});

afterAll(async () => {
	await server?.close();
});

/** Bytes straight onto a socket; resolves with what came back (the status line is enough). */
function raw(bytes: string): Promise<string> {
	const {port} = new URL(server.url);
	return new Promise((resolve, reject) => {
		const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
		let answer = '';
		socket.on('data', chunk => (answer += chunk.toString('latin1')));
		socket.on('close', () => resolve(answer));
		socket.on('error', reject);
	});
}

it('answers malformed requests with a client error in {"error": …}, and keeps serving', async () => {
	const task = server.fleet.submit({prompt: 'there', cwd: '/work'});
	const cases: {method: string; route: string; body?: unknown; headers?: Record<string, string>}[] = [
		{method: 'GET', route: '/tasks/%E0%A4%A'},
		{method: 'GET', route: '/tasks/..%2F..%2Fetc%2Fpasswd'},
		{method: 'GET', route: `/tasks/${'x'.repeat(5000)}`},
		{method: 'GET', route: '/tasks?limit=-1'},
		{method: 'GET', route: '/tasks?status=nonsense'},
		{method: 'GET', route: '/tasks?limit=1e999'},
		{method: 'GET', route: `/tasks/${task.id}/logs?tail=abc`},
		{method: 'GET', route: `/tasks/${task.id}?fullPrompt=maybe&x=1`},
		{method: 'POST', route: '/tasks', body: 'not json'},
		{method: 'POST', route: '/tasks', body: '[1,2]'},
		{method: 'POST', route: '/tasks', body: 'null'},
		{method: 'POST', route: '/tasks', body: {prompt: 42, cwd: '/work'}},
		{method: 'POST', route: '/tasks', body: {prompt: 'x', cwd: 'relative'}},
		{method: 'POST', route: '/tasks', body: {prompt: 'x', cwd: '/work', __proto__: {admin: true}, constructor: {}}},
		{method: 'POST', route: `/tasks/${task.id}/respond`, body: {action: 'explode'}},
		{method: 'POST', route: `/tasks/${task.id}/cancel`, body: {id: 'other'}},
		{method: 'POST', route: '/tasks/nosuch/cancel', body: {}},
		{method: 'DELETE', route: '/fleet'},
		{method: 'PUT', route: '/tasks'},
		{method: 'OPTIONS', route: '/tasks'},
		{method: 'POST', route: '/mcp', body: 'not json', headers: {Accept: 'application/json, text/event-stream'}},
		{method: 'POST', route: '/mcp', body: {jsonrpc: '2.0', id: 1, method: 'tools/list'}, headers: {Accept: 'application/json, text/event-stream'}},
		{method: 'GET', route: '/mcp', headers: {'Mcp-Session-Id': 'forged'}},
		{method: 'DELETE', route: '/mcp'},
		{method: 'GET', route: '/assets/../../package.json'},
		{method: 'GET', route: '/assets/%2e%2e/%2e%2e/package.json'},
	];
	for (const {method, route, body, headers} of cases) {
		const answer = await request(server.url, method, route, {token: server.token, body, ...(headers ? {headers} : {})});
		const where = `${method} ${route.slice(0, 60)}`;
		expect(answer.status, `${where}: ${answer.text}`).toBeGreaterThanOrEqual(400);
		expect(answer.status, `${where}: ${answer.text}`).toBeLessThan(500);
		const parsed = answer.json() as {error?: unknown; jsonrpc?: string};
		if (route.startsWith('/mcp')) expect(parsed, `${where}: an MCP client reads JSON-RPC`).toMatchObject({jsonrpc: '2.0', error: {code: expect.any(Number)}});
		// MCP answers in JSON-RPC (error.message); everything else in {"error": "…"}.
		const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error as {message?: string} | undefined)?.message;
		expect(message, where).toEqual(expect.any(String));
		expect(message, where).not.toMatch(/\n\s+at |node_modules|\/source\//);
	}
	for (const bytes of [
		'GARBAGE\r\n\r\n',
		'GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\n',
		`GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
		'GET / HTTP/9.9\r\n\r\n',
	]) {
		expect(await raw(bytes)).toMatch(/^(HTTP\/1\.1 4\d\d|)/);
	}
	const fleet = await request(server.url, 'GET', '/fleet', {token: server.token});
	expect(fleet.status).toBe(200);
}, 30_000);

it('refuses a body past the limit on /mcp too, in JSON-RPC', async () => {
	const huge = Buffer.alloc(MAX_BODY_BYTES + 1024, ' ');
	const answer = await request(server.url, 'POST', '/mcp', {token: server.token, body: huge, headers: {Accept: 'application/json, text/event-stream'}});
	expect(answer.status).toBe(413);
	expect(answer.json()).toMatchObject({jsonrpc: '2.0', error: {code: -32600, message: expect.stringContaining('larger than')}});
}, 30_000);

type RawUpload = {socket: Socket; answer(): string; closed: Promise<void>; isClosed(): boolean; port: string};

/** A POST /tasks on a raw socket with these header lines: what comes back and when it closes, for a test that writes the body itself. */
function rawUpload(headerLines: string): RawUpload {
	const {port} = new URL(server.url);
	const socket = connect(Number(port), '127.0.0.1');
	let answer = '';
	let isClosed = false;
	socket.on('data', chunk => (answer += chunk.toString('latin1')));
	const closed = new Promise<void>(resolve =>
		socket.on('close', () => {
			isClosed = true;
			resolve();
		}),
	);
	socket.write(`POST /tasks HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n${headerLines}\r\n`);
	return {socket, answer: () => answer, closed, isClosed: () => isClosed, port};
}

const MEGABYTE = Buffer.alloc(1024 * 1024, ' ');

/**
 * A client that is still sending when the 413 comes (as every client of a too-large body is) must be able to read
 * it: the server that closed at once reset the connection under the client's writes, which lost the answer
 * whenever the reset overtook it. The rest of the body is read and dropped, and the connection serves on.
 */
it('lets a client finish sending a body past the limit, answers 413 and serves the next request on that connection', async () => {
	const size = MAX_BODY_BYTES + 1024;
	const upload = rawUpload(`Content-Length: ${size}\r\n`);
	const failure = new Promise<never>((_, reject) => upload.socket.on('error', reject));
	await waitFor('the 413 before the body was sent', () => upload.answer().startsWith('HTTP/1.1 413'));
	for (let sent = 0; sent < size; sent += MEGABYTE.length) {
		if (upload.socket.write(MEGABYTE.subarray(0, Math.min(MEGABYTE.length, size - sent)))) continue;
		const closedEarly = upload.closed.then(() => Promise.reject(new Error('closed while the body was sent')));
		await Promise.race([new Promise(resolve => upload.socket.once('drain', resolve)), failure, closedEarly]);
	}
	const first = upload.answer();
	upload.socket.write(`GET /fleet HTTP/1.1\r\nHost: 127.0.0.1:${upload.port}\r\nAuthorization: Bearer ${server.token}\r\nConnection: close\r\n\r\n`);
	await Promise.race([upload.closed, failure]);
	expect(first).toContain('larger than');
	expect(upload.answer().slice(first.length)).toMatch(/^HTTP\/1\.1 200/);
}, 30_000);

it('answers 413 to a chunked upload past the limit, which declares no length', async () => {
	const upload = rawUpload('Transfer-Encoding: chunked\r\n');
	upload.socket.on('error', () => {});
	for (let sent = 0; sent <= MAX_BODY_BYTES && !upload.answer(); sent += MEGABYTE.length) {
		upload.socket.write(`${MEGABYTE.length.toString(16)}\r\n`);
		upload.socket.write(MEGABYTE);
		if (!upload.socket.write('\r\n')) await new Promise(resolve => upload.socket.once('drain', resolve));
	}
	await waitFor('the 413', () => upload.answer().startsWith('HTTP/1.1 413') && upload.answer().includes('larger than'));
	upload.socket.destroy();
}, 30_000);

it('closes the connection of a refused body that goes on past what it drops', async () => {
	const upload = rawUpload(`Content-Length: ${1024 ** 4}\r\n`);
	upload.socket.on('error', () => {});
	let sent = 0;
	while (!upload.isClosed() && sent < 1024 ** 3) {
		sent += MEGABYTE.length;
		if (!upload.socket.write(MEGABYTE)) await Promise.race([new Promise(resolve => upload.socket.once('drain', resolve)), upload.closed]);
	}
	expect(upload.answer()).toMatch(/^HTTP\/1\.1 413/);
	expect(sent).toBeLessThan(256 * 1024 * 1024);
}, 30_000);
