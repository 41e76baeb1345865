import {afterAll, beforeAll, expect, it} from 'vitest';
import {readEvents} from './http-sandbox.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// A task's log followed over SSE while its worker writes: each flush reads what was appended, not the whole log again
// (a 10 MB log flushed ten times a second would otherwise read 100 MB a second per follower).
let server: InProcessServer;

beforeAll(async () => {
	server = await startInProcess();
});

afterAll(async () => {
	await server?.close();
});

it('reads from the log about what the worker wrote, however often it flushes', async () => {
	const task = server.fleet.submit({prompt: 'chatty', cwd: '/work'});
	const worker = server.driver.worker(task.id);
	let bytesRead = 0;
	const read = server.output.read.bind(server.output);
	server.output.read = (taskId, options) => {
		const answer = read(taskId, options);
		bytesRead += Buffer.byteLength(answer.text);
		return answer;
	};
	const controller = new AbortController();
	const response = await fetch(`${server.url}/tasks/${task.id}/logs`, {
		headers: {Authorization: `Bearer ${server.token}`, Accept: 'text/event-stream'},
		signal: controller.signal,
	});
	const events = readEvents(response);
	const chunk = (index: number) => `${String(index).padStart(4, '0')} ${'é'.repeat(5000)}\n`;
	let received = '';
	let written = '';
	for (let index = 0; index < 30; index++) {
		worker.listener.onOutput(chunk(index));
		written += chunk(index);
		// Each chunk in a flush of its own: the case where whole-log reads cost the most.
		while (received.length < written.length) {
			const {value} = await events.next();
			const {event, data} = value as {event: string; data: {text?: string}};
			if (event === 'output') received += data.text ?? '';
		}
	}
	controller.abort();
	expect(received).toBe(written);
	expect(bytesRead).toBeLessThan(2 * Buffer.byteLength(written));
}, 30_000);
