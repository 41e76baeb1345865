import {connect} from 'node:net';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {MAX_BODY_BYTES} from '../../source/http/request-body.js';
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

it('refuses a body past the limit on /mcp too, in JSON-RPC, without reading it all', async () => {
	const huge = Buffer.alloc(MAX_BODY_BYTES + 1024, ' ');
	const answer = await request(server.url, 'POST', '/mcp', {token: server.token, body: huge, headers: {Accept: 'application/json, text/event-stream'}});
	expect(answer.status).toBe(413);
	expect(answer.json()).toMatchObject({jsonrpc: '2.0', error: {code: -32600, message: expect.stringContaining('larger than')}});
}, 30_000);
