import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {MAX_BODY_BYTES} from '../../source/http/request-body.js';
import {waitFor} from '../helpers/wait-for.js';
import {createHttpSandbox, request, type HttpSandbox} from './http-sandbox.js';

// The REST API of a real daemon (CCFLEET_HTTP) running the real claude on the mock API.
let http: HttpSandbox;
let doneTask: TaskView;

beforeAll(async () => {
	http = await createHttpSandbox();
	const created = await http.call('POST', '/tasks', {body: {prompt: 'Say it [[reply:said over HTTP]]', cwd: http.sandbox.project, mode: 'headless'}});
	expect(created.status, created.text).toBe(201);
	const id = (created.json()['task'] as TaskView).id;
	doneTask = await waitFor(
		'the task to complete',
		async () => {
			const task = (await http.call('GET', `/tasks/${id}`)).json()['task'] as TaskView;
			return task.status === 'completed' ? task : undefined;
		},
		60_000,
	);
}, 90_000);

afterAll(async () => {
	await http?.cleanup();
});

type RouteCase = {method: string; route: () => string; body?: unknown; isWrite: boolean};
const ROUTES: RouteCase[] = [
	{method: 'GET', route: () => '/fleet', isWrite: false},
	{method: 'GET', route: () => '/tasks?status=completed&limit=5', isWrite: false},
	{method: 'POST', route: () => '/tasks', body: {prompt: 'x [[reply:x]]', cwd: '/tmp'}, isWrite: true},
	{method: 'GET', route: () => `/tasks/${doneTask.id}`, isWrite: false},
	{method: 'GET', route: () => `/tasks/${doneTask.id}/logs`, isWrite: false},
	{method: 'POST', route: () => `/tasks/${doneTask.id}/cancel`, body: {}, isWrite: true},
	{method: 'POST', route: () => `/tasks/${doneTask.id}/respond`, body: {action: 'approve'}, isWrite: true},
	{method: 'GET', route: () => '/questions', isWrite: false},
	{method: 'GET', route: () => '/openapi.json', isWrite: false},
	{method: 'POST', route: () => '/mcp', body: {jsonrpc: '2.0', id: 1, method: 'ping'}, isWrite: false},
];

describe('tokens on every route', () => {
	it('refuses every route without a token, with a malformed header and with a wrong token (401), saying how to get one', async () => {
		for (const [index, {method, route, body}] of ROUTES.entries()) {
			// Each route's wrong attempts from an address of its own: the limit on failed attempts counts per address.
			const from = `127.0.1.${index + 1}`;
			const missing = await http.call(method, route(), {token: undefined, body, from});
			expect(missing.status, `${method} ${route()}`).toBe(401);
			expect(missing.headers['www-authenticate']).toContain('Bearer');
			expect(missing.json().error).toContain('ccfleet token create');
			const malformed = await http.call(method, route(), {token: undefined, body, from, headers: {Authorization: 'Basic dXNlcjpwYXNz'}});
			expect(malformed.status).toBe(401);
			expect(malformed.json().error).toContain('Bearer <token>');
			const wrong = await http.call(method, route(), {token: 'ccf_not-a-token', body, from});
			expect(wrong.status).toBe(401);
			expect(wrong.json().error).toContain('not valid');
		}
	});

	it('lets a read-only token read, and refuses it every write with 403', async () => {
		for (const {method, route, body, isWrite} of ROUTES) {
			const answer = await http.call(method, route(), {
				token: http.readOnlyToken,
				body,
				...(route() === '/mcp' ? {headers: {Accept: 'application/json, text/event-stream'}} : {}),
			});
			if (isWrite) {
				expect(answer.status, `${method} ${route()}`).toBe(403);
				expect(answer.json().error).toMatch(/read-only.*changes the fleet/);
			} else {
				// /mcp without a session: 400 (initialize first), not 401 or 403.
				expect(answer.status, `${method} ${route()}: ${answer.text}`).toBe(route() === '/mcp' ? 400 : 200);
			}
		}
	});

	it('revoking a token refuses it at the next request, without a restart', async () => {
		const {stdout} = await http.sandbox.cli(['token', 'create', '--name', 'short-lived']);
		const token = stdout.trim();
		expect((await http.call('GET', '/fleet', {token})).status).toBe(200);
		const {exitCode} = await http.sandbox.cli(['token', 'revoke', 'short-lived']);
		expect(exitCode).toBe(0);
		expect((await http.call('GET', '/fleet', {token, from: '127.0.2.1'})).status).toBe(401);
	});
});

describe('the routes with a good token', () => {
	it('GET /fleet, /tasks, /tasks/:id, /questions answer with the tools’ structured results', async () => {
		const fleet = (await http.call('GET', '/fleet')).json();
		expect(fleet).toMatchObject({workers: {running: expect.any(Number)}, counts: {completed: expect.any(Number)}});
		const list = (await http.call('GET', '/tasks?status=completed,failed&limit=10')).json() as {tasks: TaskView[]; counts: Record<string, number>};
		expect(list.tasks.map(task => task.id)).toContain(doneTask.id);
		expect(list.tasks.every(task => task.status === 'completed' || task.status === 'failed')).toBe(true);
		expect(doneTask).toMatchObject({status: 'completed', result: 'said over HTTP', cwd: http.sandbox.project});
		expect((await http.call('GET', '/questions')).json()).toMatchObject({questions: []});
	});

	it('GET /tasks/:id/logs is the log as text/plain, ?tail=N its last lines', async () => {
		const log = await http.call('GET', `/tasks/${doneTask.id}/logs`);
		expect(log.status).toBe(200);
		expect(log.headers['content-type']).toContain('text/plain');
		expect(log.text).toContain('said over HTTP');
		const tail = await http.call('GET', `/tasks/${doneTask.id}/logs?tail=1`);
		expect(tail.text.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
	});

	it('POST /tasks/:id/cancel cancels a running task with the reason, recorded as done over HTTP', async () => {
		const created = await http.call('POST', '/tasks', {body: {prompt: 'Take long [[slow:60000]] [[reply:late]]', cwd: http.sandbox.project, mode: 'headless'}});
		const {id} = created.json()['task'] as TaskView;
		const cancelled = await http.call('POST', `/tasks/${id}/cancel`, {body: {reason: 'not needed'}});
		expect(cancelled.status, cancelled.text).toBe(200);
		expect(cancelled.json()['task']).toMatchObject({id, status: 'cancelled'});
		const again = await http.call('POST', `/tasks/${id}/cancel`, {body: {}});
		expect(again.status).toBe(400);
	});

	it('GET /openapi.json describes every route with the tools’ schemas', async () => {
		const document = (await http.call('GET', '/openapi.json')).json() as {
			openapi: string;
			paths: Record<string, Record<string, {requestBody?: {content: Record<string, {schema: {properties: Record<string, unknown>}}>}}>>;
		};
		expect(document.openapi).toBe('3.1.0');
		expect(Object.keys(document.paths)).toEqual(
			expect.arrayContaining(['/fleet', '/tasks', '/tasks/{id}', '/tasks/{id}/logs', '/tasks/{id}/cancel', '/tasks/{id}/respond', '/questions', '/events']),
		);
		const delegate = document.paths['/tasks']!['post']!.requestBody!.content['application/json']!.schema;
		expect(Object.keys(delegate.properties)).toEqual(expect.arrayContaining(['prompt', 'cwd', 'priority', 'mode']));
		const respond = document.paths['/tasks/{id}/respond']!['post']!.requestBody!.content['application/json']!.schema;
		expect(respond.properties).not.toHaveProperty('id');
		expect(respond.properties).toHaveProperty('action');
		const list = (document.paths['/tasks']!['get'] as {parameters?: {name: string; in: string}[]}).parameters;
		expect(list).toEqual([expect.objectContaining({name: 'status', in: 'query'}), expect.objectContaining({name: 'limit', in: 'query'})]);
	});
});

describe('bad input', () => {
	it('says what is wrong with a body, and what is accepted', async () => {
		const post = (body: unknown) => http.call('POST', '/tasks', {body});
		const malformed = await post('{"prompt": ');
		expect(malformed.status).toBe(400);
		expect(malformed.json().error).toMatch(/not valid JSON/);
		const array = await post([1, 2]);
		expect(array.json().error).toContain('must be a JSON object');
		const unknown = await post({prompt: 'x', cwd: http.sandbox.project, priorty: 'P0'});
		expect(unknown.status).toBe(400);
		expect(unknown.json().error).toMatch(/Unknown field priorty; did you mean priority\?/);
		const wrongType = await post({prompt: 42, cwd: http.sandbox.project});
		expect(wrongType.status).toBe(400);
		expect(wrongType.json().error).toMatch(/prompt must be a string/);
		const noCwd = await post({prompt: 'x'});
		expect(noCwd.status).toBe(400);
		expect(noCwd.json().error).toMatch(/cwd is required over HTTP/);
		const badCwd = await post({prompt: 'x', cwd: '/no/such/dir'});
		expect(badCwd.json().error).toMatch(/does not exist/);
		const withId = await http.call('POST', `/tasks/${doneTask.id}/cancel`, {body: {id: 'other'}});
		expect(withId.json().error).toMatch(/Leave id out of the body/);
		const badAction = await http.call('POST', `/tasks/${doneTask.id}/respond`, {body: {action: 'maybe'}});
		expect(badAction.json().error).toMatch(/action "maybe" is not accepted; use one of approve, deny, text/);
	});

	it('refuses a body larger than the limit with 413', async () => {
		const huge = Buffer.alloc(MAX_BODY_BYTES + 1024, 'a');
		const answer = await http.call('POST', '/tasks', {body: huge});
		expect(answer.status).toBe(413);
		expect(answer.json().error).toContain('larger than');
	});

	it('says what is wrong with a query, a route, a method and a task id', async () => {
		const badStatus = await http.call('GET', '/tasks?status=done');
		expect(badStatus.status).toBe(400);
		expect(badStatus.json().error).toMatch(/"done" is not accepted; use one of queued, running/);
		const badParameter = await http.call('GET', '/tasks?state=running');
		expect(badParameter.json().error).toBe('Unknown query parameter state. /tasks accepts: status, limit.');
		const badLimit = await http.call('GET', '/tasks?limit=lots');
		expect(badLimit.status).toBe(400);
		const unknownTask = await http.call('GET', '/tasks/nosuch');
		expect(unknownTask.status).toBe(404);
		expect(unknownTask.json().error).toContain('No task with id "nosuch"');
		expect((await http.call('GET', '/tasks/nosuch/logs')).status).toBe(404);
		const noRoute = await http.call('GET', '/nowhere');
		expect(noRoute.status).toBe(404);
		expect(noRoute.json().error).toContain('/openapi.json');
		const wrongMethod = await http.call('DELETE', '/tasks');
		expect(wrongMethod.status).toBe(405);
		expect(wrongMethod.headers['allow']).toBe('GET, POST');
	});
});

describe('DNS rebinding and guessing', () => {
	it('refuses a Host or an Origin this server does not go by (403), and takes loopback ones', async () => {
		const evilHost = await http.call('GET', '/fleet', {headers: {Host: 'evil.example.com'}});
		expect(evilHost.status).toBe(403);
		expect(evilHost.json().error).toMatch(/Host "evil.example.com" is not a name this server answers to.*--host-name/);
		const evilOrigin = await http.call('GET', '/fleet', {headers: {Origin: 'http://evil.example.com'}});
		expect(evilOrigin.status).toBe(403);
		expect(evilOrigin.json().error).toContain('Origin "http://evil.example.com" is not allowed');
		// Refused before the token is looked at: no token needed to be told.
		expect((await http.call('GET', '/fleet', {token: undefined, headers: {Host: 'evil.example.com'}})).status).toBe(403);
		const port = new URL(http.url).port;
		expect((await http.call('GET', '/fleet', {headers: {Host: `localhost:${port}`, Origin: `http://localhost:${port}`}})).status).toBe(200);
	});

	it('answers 429 with Retry-After after 10 wrong tokens from one address, even to a good token, and not to other addresses', async () => {
		const from = '127.0.0.9';
		for (let attempt = 0; attempt < 10; attempt++) expect((await http.call('GET', '/fleet', {token: `ccf_guess${attempt}`, from})).status).toBe(401);
		const limited = await http.call('GET', '/fleet', {token: 'ccf_guess', from});
		expect(limited.status).toBe(429);
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
		expect(limited.json().error).toMatch(/Too many requests with a wrong token.*try again in \d+ s/);
		expect((await http.call('GET', '/fleet', {from})).status).toBe(429);
		expect((await request(http.url, 'GET', '/fleet', {token: http.token, from: '127.0.0.10'})).status).toBe(200);
		const log = readFileSync(path.join(http.sandbox.home, 'logs', 'ccfleet.log'), 'utf8');
		expect(log).toMatch(/HTTP requests refused: too many wrong tokens.*"address":"127\.0\.0\.9"/);
	});
});
