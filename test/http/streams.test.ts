import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startSse} from '../../source/http/sse.js';
import type {FleetChanges} from '../../source/protocol/fleet-changes.js';
import type {TaskView} from '../../source/protocol/views.js';
import {toolDoneReply} from '../fixtures/mock-anthropic-api.js';
import {createHttpSandbox, readEvents, type HttpSandbox} from './http-sandbox.js';

// The event streams the page reads with fetch(): a task's log to its end, and the fleet's changes.
let http: HttpSandbox;

beforeAll(async () => {
	http = await createHttpSandbox();
}, 60_000);

afterAll(async () => {
	await http?.cleanup();
});

const stream = (route: string, token = http.token) => fetch(`${http.url}${route}`, {headers: {Authorization: `Bearer ${token}`, Accept: 'text/event-stream'}});

describe('GET /tasks/:id/logs as server-sent events', () => {
	it('follows a real task through its question, answered over REST, to its end, then closes', async () => {
		const created = await http.call('POST', '/tasks', {
			body: {prompt: 'Run it [[tool:bash:echo streamed-run > streamed.txt]]', cwd: http.sandbox.project, permissionMode: 'default'},
		});
		expect(created.status, created.text).toBe(201);
		const {id} = created.json()['task'] as TaskView;
		const response = await stream(`/tasks/${id}/logs`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('text/event-stream');
		const statuses: string[] = [];
		let output = '';
		let end: TaskView | undefined;
		let isAnswered = false;
		for await (const {event, data} of readEvents(response)) {
			if (event === 'output') output += (data as {text: string}).text;
			if (event === 'status') statuses.push((data as TaskView).status);
			if (event === 'status' && (data as TaskView).status === 'needs_input' && !isAnswered) {
				isAnswered = true;
				const questions = (await http.call('GET', '/questions')).json() as {questions: {taskId: string}[]};
				expect(questions.questions.map(question => question.taskId)).toContain(id);
				const answer = await http.call('POST', `/tasks/${id}/respond`, {body: {action: 'approve'}});
				expect(answer.status, answer.text).toBe(200);
			}
			if (event === 'end') end = data as TaskView;
		}
		// The loop ended because the server closed the stream after `end`.
		expect(end).toMatchObject({id, status: 'completed', result: toolDoneReply});
		expect(statuses).toEqual(expect.arrayContaining(['running', 'needs_input', 'completed']));
		expect(output.length).toBeGreaterThan(0);
		const whole = await http.call('GET', `/tasks/${id}/logs`);
		expect(whole.text.length).toBeGreaterThanOrEqual(output.length - 1);
	}, 90_000);

	it('for a task that already ended: its log, its status and end at once', async () => {
		const created = await http.call('POST', '/tasks', {body: {prompt: 'Quick [[reply:quick one]]', cwd: http.sandbox.project, mode: 'headless'}});
		const {id} = created.json()['task'] as TaskView;
		// The first stream waits for the end; the second one, opened after, gets everything at once.
		for await (const {event} of readEvents(await stream(`/tasks/${id}/logs`))) if (event === 'end') break;
		const events: string[] = [];
		for await (const {event} of readEvents(await stream(`/tasks/${id}/logs`))) events.push(event);
		expect(events.at(-2)).toBe('status');
		expect(events.at(-1)).toBe('end');
	}, 60_000);

	it('needs a token like every route', async () => {
		const response = await fetch(`${http.url}/tasks/nosuch/logs`, {headers: {Accept: 'text/event-stream'}});
		expect(response.status).toBe(401);
	});
});

describe('GET /events', () => {
	it('starts with a snapshot of the fleet, then sends each change as the fleet resource does', async () => {
		const controller = new AbortController();
		const response = await fetch(`${http.url}/events`, {headers: {Authorization: `Bearer ${http.readOnlyToken}`}, signal: controller.signal});
		expect(response.headers.get('content-type')).toContain('text/event-stream');
		const events = readEvents(response);
		const first = (await events.next()).value as {event: string; data: FleetChanges};
		expect(first.event).toBe('fleet');
		expect(first.data.fleet).toMatchObject({counts: expect.any(Object)});
		expect(first.data.tasks.length).toBeGreaterThan(0);
		const created = await http.call('POST', '/tasks', {body: {prompt: 'Watched [[reply:watched]]', cwd: http.sandbox.project, mode: 'headless'}});
		const {id} = created.json()['task'] as TaskView;
		const seen = new Set<string>();
		for await (const {event, data} of events) {
			expect(event).toBe('fleet');
			for (const task of (data as FleetChanges).tasks) if (task.id === id) seen.add(task.status);
			if (seen.has('completed')) break;
		}
		controller.abort();
		expect(seen.has('completed')).toBe(true);
	}, 60_000);
});

describe('the keepalive', () => {
	let server: Server;
	beforeAll(async () => {
		server = createServer((_request, response) => void startSse(response, 50));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
	});
	afterAll(() => {
		server.closeAllConnections();
		server.close();
	});

	it('sends a comment line at its interval on a quiet stream', async () => {
		const controller = new AbortController();
		const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {signal: controller.signal});
		const decoder = new TextDecoder();
		let text = '';
		for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
			text += decoder.decode(chunk);
			if (text.split(': keepalive\n\n').length > 2) break;
		}
		controller.abort();
		expect(text).toBe(': keepalive\n\n: keepalive\n\n');
	});
});
