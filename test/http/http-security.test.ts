import {writeFileSync} from 'node:fs';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {MAX_FAILED_ATTEMPTS} from '../../source/http/failed-attempts.js';
import {MAX_OPEN_PER_TOKEN} from '../../source/http/open-requests.js';
import {waitFor} from '../helpers/wait-for.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// What a token lets through, and for how long; what an error tells a stranger.
let server: InProcessServer;

beforeEach(async () => {
	server = await startInProcess();
});

afterEach(async () => {
	await server?.close();
});

const auth = (token: string) => ({Authorization: `Bearer ${token}`});
const MCP_HEADERS = {'Content-Type': 'application/json', Accept: 'application/json, text/event-stream'};

/** Opens an MCP session over HTTP as a client does: initialize, then the initialized notification. */
async function openSession(token: string): Promise<string> {
	const initialize = {jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '1'}}};
	const response = await fetch(`${server.url}/mcp`, {method: 'POST', headers: {...MCP_HEADERS, ...auth(token)}, body: JSON.stringify(initialize)});
	expect(response.status, await response.clone().text()).toBe(200);
	await response.text();
	const session = response.headers.get('mcp-session-id')!;
	const initialized = await mcp(token, session, {jsonrpc: '2.0', method: 'notifications/initialized'});
	expect(initialized.status).toBe(202);
	return session;
}

const mcp = (token: string, session: string, message: unknown) =>
	fetch(`${server.url}/mcp`, {method: 'POST', headers: {...MCP_HEADERS, ...auth(token), 'Mcp-Session-Id': session}, body: JSON.stringify(message)});

/** Reads a stream to its end; resolves 'ended' when the server ended it, 'cut' when the connection broke. */
async function outcome(response: Response): Promise<'ended' | 'cut'> {
	try {
		for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>);
		return 'ended';
	} catch {
		return 'cut';
	}
}

describe('a revoked token', () => {
	it('loses its open event streams and MCP sessions, and a token made again under its name gets none of them', async () => {
		const token = server.tokens.create('phone');
		const events = await fetch(`${server.url}/events`, {headers: auth(token)});
		expect(events.status).toBe(200);
		const session = await openSession(token);
		const notifications = await fetch(`${server.url}/mcp`, {headers: {...auth(token), Accept: 'text/event-stream', 'Mcp-Session-Id': session}});
		expect(notifications.status).toBe(200);
		const ends = Promise.all([outcome(events), outcome(notifications)]);
		server.tokens.revoke('phone');
		expect(await ends).toEqual(['ended', 'ended']);
		const again = server.tokens.create('phone');
		const reused = await mcp(again, session, {jsonrpc: '2.0', id: 2, method: 'ping'});
		expect(reused.status).toBe(404);
		await waitFor('the revoked session to be closed', () => server.busListeners() === 0 || undefined, 10_000);
	}, 30_000);
});

describe('a read-only token over MCP', () => {
	it('may send only the methods on the allow-list, and call only the tools that change nothing', async () => {
		const session = await openSession(server.readOnlyToken);
		const unknown = await mcp(server.readOnlyToken, session, {jsonrpc: '2.0', id: 2, method: 'fleet/stop', params: {}});
		expect(unknown.status).toBe(403);
		expect(((await unknown.json()) as {error: {message: string}}).error.message).toMatch(
			/read-only and may not send fleet\/stop \(it may send initialize, ping, tools\/list/,
		);
		const templates = await mcp(server.readOnlyToken, session, {jsonrpc: '2.0', id: 3, method: 'tools/call', params: {name: 'list_workflow_templates', arguments: {}}});
		expect(templates.status).toBe(200);
		expect(await templates.text()).not.toContain('"isError":true');
		const batch = [
			{jsonrpc: '2.0', id: 4, method: 'ping'},
			{jsonrpc: '2.0', id: 5, method: 'tools/call', params: {name: 'configure_fleet', arguments: {maxWorkers: 1}}},
		];
		const refused = await mcp(server.readOnlyToken, session, batch);
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as {id: unknown}).id).toBe(5);
	});
});

describe('errors a client sees', () => {
	it('an unexpected failure answers 500 with a reference, not its message; the log has both', async () => {
		const task = server.fleet.submit({prompt: 'logged', cwd: '/work'});
		server.fleet.logs = () => {
			throw new Error("EACCES: permission denied, open '/home/someone/.ccfleet/logs/t1.log'");
		};
		const answer = await fetch(`${server.url}/tasks/${task.id}/logs`, {headers: auth(server.token)});
		expect(answer.status).toBe(500);
		const {error} = (await answer.json()) as {error: string};
		expect(error).not.toContain('/home/someone');
		expect(error).not.toContain('EACCES');
		const reference = /reference (\w+)/.exec(error)?.[1];
		expect(reference).toBeDefined();
		expect(server.logged.find(line => line.includes(reference!))).toContain('/home/someone/.ccfleet/logs/t1.log');
	});

	it('a damaged token file answers 503 without its path; the log names it', async () => {
		writeFileSync(server.tokens.filePath, '{"tokens": [');
		const answer = await fetch(`${server.url}/fleet`, {headers: auth(server.token)});
		expect(answer.status).toBe(503);
		const {error} = (await answer.json()) as {error: string};
		expect(error).toMatch(/cannot check tokens now.*daemon log/);
		expect(error).not.toContain(server.tokens.filePath);
		expect(server.logged.join('\n')).toContain(server.tokens.filePath);
	});
});

describe('a stop', () => {
	it('ends open event streams at once and cleanly, not by cutting them after a grace', async () => {
		const task = server.fleet.submit({prompt: 'followed', cwd: '/work'});
		const log = await fetch(`${server.url}/tasks/${task.id}/logs`, {headers: {...auth(server.token), Accept: 'text/event-stream'}});
		const events = await fetch(`${server.url}/events`, {headers: auth(server.readOnlyToken)});
		const session = await openSession(server.token);
		const notifications = await fetch(`${server.url}/mcp`, {headers: {...auth(server.token), Accept: 'text/event-stream', 'Mcp-Session-Id': session}});
		expect(notifications.status).toBe(200);
		const ends = Promise.all([outcome(log), outcome(events), outcome(notifications)]);
		await server.listener.close();
		expect(await ends).toEqual(['ended', 'ended', 'ended']);
		expect(server.busListeners()).toBe(0);
	});
});

describe('wrong tokens in the daemon log', () => {
	it('are logged each up to the limit, then the client once, not every request it goes on sending', async () => {
		for (let attempt = 0; attempt < 40; attempt++) {
			const answer = await fetch(`${server.url}/fleet`, {headers: auth('ccf_guess')});
			expect(answer.status).toBe(attempt < MAX_FAILED_ATTEMPTS ? 401 : 429);
		}
		expect(server.logged.filter(line => line.includes('an HTTP request with a wrong token'))).toHaveLength(MAX_FAILED_ATTEMPTS);
		expect(server.logged.filter(line => line.includes('too many wrong tokens'))).toHaveLength(1);
	});
});

describe('requests open at once', () => {
	it('are bounded per token (429 past them), not for other tokens, and free again as streams close', async () => {
		const controllers = Array.from({length: MAX_OPEN_PER_TOKEN}, () => new AbortController());
		const streams = await Promise.all(controllers.map(controller => fetch(`${server.url}/events`, {headers: auth(server.token), signal: controller.signal})));
		expect(streams.map(stream => stream.status)).toEqual(streams.map(() => 200));
		const refused = await fetch(`${server.url}/fleet`, {headers: auth(server.token)});
		expect(refused.status).toBe(429);
		expect(((await refused.json()) as {error: string}).error).toMatch(/has 64 requests open.*close some/);
		expect((await fetch(`${server.url}/fleet`, {headers: auth(server.readOnlyToken)})).status).toBe(200);
		controllers[0]!.abort();
		await waitFor(
			'a closed stream to free its place',
			async () => (await fetch(`${server.url}/fleet`, {headers: auth(server.token)})).status === 200 || undefined,
			10_000,
		);
		for (const controller of controllers) controller.abort();
	});
});
