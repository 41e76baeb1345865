import {createServer, request, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {startSse, type SseStream} from '../../source/http/sse.js';
import {waitFor} from '../helpers/wait-for.js';

// A client that stops reading (a phone asleep, a stalled network) must not make the core buffer its events for ever.
let server: Server;
/** The stream of the latest request, and whether it closed. */
let latest: {stream: SseStream; closed: boolean} | undefined;

beforeAll(async () => {
	server = createServer((_request, response) => {
		const opened = {stream: startSse(response, 60_000, 256 * 1024), closed: false};
		opened.stream.onClose(() => {
			opened.closed = true;
		});
		latest = opened;
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(() => {
	server.closeAllConnections();
	server.close();
});

it('sends an event larger than the bound to a client that reads', async () => {
	const big = 'y'.repeat(1024 * 1024);
	const answer = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then(async response => {
		const reader = (response.body as ReadableStream<Uint8Array>).getReader();
		let text = '';
		const decoder = new TextDecoder();
		while (!text.includes(`${big}"}`)) text += decoder.decode((await reader.read()).value);
		await reader.cancel();
		return text;
	});
	const opened = await waitFor('the stream to start', () => latest);
	opened.stream.send('output', {text: big});
	expect(await answer).toContain(big);
	expect(opened.closed).toBe(false);
	latest = undefined;
}, 30_000);

it('cuts a stream whose client stopped reading once a bounded amount waits unsent', async () => {
	const outgoing = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
	outgoing.on('response', incoming => incoming.pause());
	outgoing.on('error', () => undefined);
	outgoing.end();
	const opened = await waitFor('the stream to start', () => latest);
	const event = {text: 'x'.repeat(64 * 1024)};
	// 64 MB offered: the kernel's socket buffers take a few MB, the stream's own bound the rest.
	for (let sent = 0; sent < 1024 && !opened.closed; sent++) {
		opened.stream.send('output', event);
		await new Promise(resolve => setImmediate(resolve));
	}
	expect(opened.closed).toBe(true);
	outgoing.destroy();
}, 30_000);
