import {request as httpRequest} from 'node:http';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TaskNotFoundError} from '../../source/core/domain/errors.js';
import {waitFor} from '../helpers/wait-for.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// Clients that open a stream and go away (a phone that locks, a tab closed) must leave nothing behind in the core.
let server: InProcessServer;

beforeAll(async () => {
	server = await startInProcess();
});

afterAll(async () => {
	await server?.close();
});

/** Opens a stream, waits for its first bytes (the server set it up), then drops the connection as a vanished client does. */
function openAndDrop(route: string, headers: Record<string, string> = {}): Promise<void> {
	return new Promise((resolve, reject) => {
		const outgoing = httpRequest(`${server.url}${route}`, {headers: {Authorization: `Bearer ${server.token}`, Accept: 'text/event-stream', ...headers}}, incoming => {
			if (incoming.statusCode !== 200) reject(new Error(`${route}: ${incoming.statusCode}`));
			const drop = () => {
				outgoing.destroy();
				resolve();
			};
			// An MCP stream sends nothing until there is news: its headers say it is set up.
			if (route === '/mcp') drop();
			else incoming.once('data', drop);
		});
		outgoing.on('error', error => {
			if (!outgoing.destroyed) reject(error);
		});
		outgoing.end();
	});
}

const timers = () => process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length;

describe('200 streams opened and dropped', () => {
	it('leave no listener on the fleet, no timer and no memory behind', async () => {
		const task = server.fleet.submit({prompt: 'followed', cwd: '/work'});
		server.driver.worker(task.id).listener.onOutput('first line\n');
		const listeners = server.busListeners();
		const timersBefore = timers();
		global.gc?.();
		const heapBefore = process.memoryUsage().heapUsed;
		for (let round = 0; round < 4; round++) {
			await Promise.all([...Array.from({length: 25}, () => openAndDrop(`/tasks/${task.id}/logs`)), ...Array.from({length: 25}, () => openAndDrop('/events'))]);
			// Output while streams go away: a flush scheduled for a dropped stream must not outlive it.
			server.driver.worker(task.id).listener.onOutput(`round ${round}\n`);
		}
		await waitFor('every dropped stream to let go of the fleet', () => server.busListeners() === listeners || undefined, 10_000);
		await waitFor('their keepalive and flush timers to stop', () => timers() <= timersBefore || undefined, 10_000);
		global.gc?.();
		// Generous: 200 streams' worth of views and buffers held would be far more than this.
		expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
	}, 60_000);
});

describe('a task that goes away under its log stream', () => {
	it('ends the stream instead of throwing into the fleet', {timeout: 10_000}, async () => {
		const task = server.fleet.submit({prompt: 'removed', cwd: '/work'});
		const errors: string[] = [];
		const offErrors = server.fleet.on('fleet:error', ({message}) => errors.push(message));
		const response = await fetch(`${server.url}/tasks/${task.id}/logs`, {headers: {Authorization: `Bearer ${server.token}`, Accept: 'text/event-stream'}});
		const reader = (response.body as ReadableStream<Uint8Array>).getReader();
		await reader.read();
		const get = server.fleet.get.bind(server.fleet);
		server.fleet.get = id => {
			if (id === task.id) throw new TaskNotFoundError(id);
			return get(id);
		};
		try {
			server.driver.worker(task.id).listener.onState('busy');
			// Read to the end: a stream left open fails the test by its timeout.
			while (!(await reader.read()).done);
		} finally {
			server.fleet.get = get;
			offErrors();
		}
		expect(errors).toEqual([]);
	});
});

describe("an MCP session's notification stream opened and dropped again and again", () => {
	it('can be opened again each time, and leaves the session as it was', async () => {
		const headers = {Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream'};
		const initialize = {jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '1'}}};
		const opened = await fetch(`${server.url}/mcp`, {method: 'POST', headers, body: JSON.stringify(initialize)});
		await opened.text();
		const session = opened.headers.get('mcp-session-id')!;
		const initialized = await fetch(`${server.url}/mcp`, {
			method: 'POST',
			headers: {...headers, 'Mcp-Session-Id': session},
			body: JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}),
		});
		expect(initialized.status).toBe(202);
		const listeners = server.busListeners();
		const timersBefore = timers();
		for (let round = 0; round < 50; round++) {
			// The SDK answers 409 while a session's stream is open: a dropped one must not count as open.
			await waitFor(
				'the dropped stream to be let go',
				async () => {
					try {
						await openAndDrop('/mcp', {'Mcp-Session-Id': session});
						return true;
					} catch {
						return undefined;
					}
				},
				5000,
			);
		}
		await waitFor('the session to hold what it held', () => server.busListeners() === listeners || undefined, 10_000);
		await waitFor('no timer of the streams to be left', () => timers() <= timersBefore || undefined, 10_000);
	}, 60_000);
});
