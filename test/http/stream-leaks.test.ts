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
			incoming.once('data', () => {
				outgoing.destroy();
				resolve();
			});
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
