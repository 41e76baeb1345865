import {createServer, request, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {startSse, type SseStream} from '../../source/http/sse.js';
import {waitFor} from '../helpers/wait-for.js';

// A client that stops reading (a phone asleep, a stalled network) must not make the core buffer its events for ever.
let server: Server;
let stream: SseStream | undefined;
let closed = false;

beforeAll(async () => {
	server = createServer((_request, response) => {
		stream = startSse(response, 60_000, 256 * 1024);
		stream.onClose(() => {
			closed = true;
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(() => {
	server.closeAllConnections();
	server.close();
});

it('cuts a stream whose client stopped reading once a bounded amount waits unsent', async () => {
	const outgoing = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
	outgoing.on('response', incoming => incoming.pause());
	outgoing.on('error', () => undefined);
	outgoing.end();
	await waitFor('the stream to start', () => stream);
	const event = {text: 'x'.repeat(64 * 1024)};
	// 64 MB offered: the kernel's socket buffers take a few MB, the stream's own bound the rest.
	for (let sent = 0; sent < 1024 && !closed; sent++) {
		stream!.send('output', event);
		await new Promise(resolve => setImmediate(resolve));
	}
	expect(closed).toBe(true);
	outgoing.destroy();
}, 30_000);
