import {afterAll, beforeAll, expect, it} from 'vitest';
import {waitFor} from '../helpers/wait-for.js';
import {createHttpSandbox, type HttpSandbox} from './http-sandbox.js';

// `ccfleet stop` on a real daemon serving HTTP: the page's event stream and an MCP client's notification stream end
// cleanly (their clients see the end, not a broken connection), and the core exits.
let http: HttpSandbox;

beforeAll(async () => {
	http = await createHttpSandbox();
}, 60_000);

afterAll(async () => {
	await http?.cleanup();
});

async function outcome(response: Response): Promise<'ended' | 'cut'> {
	try {
		for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>);
		return 'ended';
	} catch {
		return 'cut';
	}
}

it('ends the open streams and stops the core', async () => {
	const auth = {Authorization: `Bearer ${http.token}`};
	const events = await fetch(`${http.url}/events`, {headers: auth});
	expect(events.status).toBe(200);
	const initialize = {jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '1'}}};
	const headers = {...auth, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream'};
	const opened = await fetch(`${http.url}/mcp`, {method: 'POST', headers, body: JSON.stringify(initialize)});
	await opened.text();
	const session = opened.headers.get('mcp-session-id')!;
	await fetch(`${http.url}/mcp`, {
		method: 'POST',
		headers: {...headers, 'Mcp-Session-Id': session},
		body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}),
	});
	const notifications = await fetch(`${http.url}/mcp`, {headers: {...auth, Accept: 'text/event-stream', 'Mcp-Session-Id': session}});
	expect(notifications.status).toBe(200);
	const ends = Promise.all([outcome(events), outcome(notifications)]);
	const stopped = await http.sandbox.cli(['stop']);
	expect(stopped.exitCode, stopped.stderr).toBe(0);
	expect(await ends).toEqual(['ended', 'ended']);
	await waitFor('the core to exit', () => http.sandbox.corePid() === undefined || undefined, 30_000);
	await expect(fetch(`${http.url}/fleet`, {headers: auth})).rejects.toThrow();
}, 60_000);
