import {afterAll, beforeAll, expect, it} from 'vitest';
import type {HttpMethod} from '../../source/http/router.js';
import {ROUTES} from '../../source/http/routes.js';
import {request} from './http-sandbox.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// Walks the route table itself, so a route added later is held to the same rules without a test of its own.
let server: InProcessServer;
let taskId: string;

beforeAll(async () => {
	server = await startInProcess();
	taskId = server.fleet.submit({prompt: 'there', cwd: '/work'}).id;
});

afterAll(async () => {
	await server?.close();
});

const all = () => [...ROUTES, {method: ['GET', 'POST', 'DELETE'] as HttpMethod[], path: '/mcp', access: 'read' as const}];
const concrete = (path: string) => path.replace(':id', taskId).replace('*', 'app.js');
const methods = (method: HttpMethod | readonly HttpMethod[]) => (typeof method === 'string' ? [method] : method);

it('asks a token of every route but the page and its assets (401), and says how to get one', async () => {
	const publicRoutes: string[] = [];
	for (const route of all()) {
		for (const method of methods(route.method)) {
			const answer = await request(server.url, method, concrete(route.path), {headers: {Accept: 'text/event-stream'}});
			if (route.access === 'public') {
				publicRoutes.push(`${method} ${route.path}`);
				continue;
			}
			expect(answer.status, `${method} ${route.path}`).toBe(401);
			expect(answer.json().error).toContain('ccfleet token create');
		}
	}
	expect(publicRoutes.sort()).toEqual(['GET /', 'GET /assets/*']);
});

it('refuses a foreign Host or Origin on every route, the page included, before anything else (403)', async () => {
	for (const route of all()) {
		for (const method of methods(route.method)) {
			const foreign: Record<string, string>[] = [{Host: 'rebound.example.com:7777'}, {Origin: 'https://evil.example.com'}];
			for (const headers of foreign) {
				const answer = await request(server.url, method, concrete(route.path), {token: server.token, headers});
				expect(answer.status, `${method} ${route.path} ${JSON.stringify(headers)}`).toBe(403);
				expect(answer.json().error).toMatch(/--host-name/);
			}
		}
	}
});

it('refuses a read-only token every route that changes the fleet (403)', async () => {
	for (const route of all().filter(candidate => candidate.access === 'write')) {
		for (const method of methods(route.method)) {
			const answer = await request(server.url, method, concrete(route.path), {token: server.readOnlyToken, body: {}});
			expect(answer.status, `${method} ${route.path}`).toBe(403);
		}
	}
});
