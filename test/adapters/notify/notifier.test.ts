import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest';
import {desktopChannel, findNotifySend} from '../../../source/adapters/notify/desktop.js';
import {startNotifier} from '../../../source/adapters/notify/index.js';
import {createNotifier} from '../../../source/adapters/notify/notifier.js';
import {webhookChannel} from '../../../source/adapters/notify/webhook.js';
import {ConfigError, loadConfig} from '../../../source/config.js';
import type {Task} from '../../../source/core/domain/task.js';
import {EventBus} from '../../../source/core/events.js';
import {silentLogger} from '../../../source/core/ports/logger.js';
import {waitFor} from '../../helpers/wait-for.js';

type Received = {headers: http.IncomingHttpHeaders; body: string};

// A local listener stands in for ntfy or any webhook: it records each POST.
let server: http.Server;
let url: string;
let received: Received[] = [];

beforeAll(async () => {
	server = http.createServer((request, response) => {
		let body = '';
		request.on('data', (chunk: Buffer) => (body += chunk.toString()));
		request.on('end', () => {
			received.push({headers: request.headers, body});
			response.writeHead(200).end('ok');
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ccfleet-topic`;
});

afterAll(async () => {
	await new Promise<void>(resolve => server.close(() => resolve()));
});

beforeEach(() => {
	received = [];
});

/** Only the fields the notifier reads; the rest of a task does not matter to it. */
function task(id: string, status: Task['status'], extra: Partial<Task> = {}): Task {
	return {id, status, prompt: `Fix the flaky test in ${id}\nand more lines`, ...extra} as Task;
}

describe('webhook', () => {
	test('plain text, as ntfy takes it: the reason and the prompt in the body, the title and priority as headers', async () => {
		const bus = new EventBus();
		const notifier = createNotifier(bus, {channels: [webhookChannel(url, 'text')], logger: silentLogger});
		bus.emit('task:updated', {task: task('k3f9a2zq', 'failed', {failureReason: 'Timed out after 30 min'}), previous: 'running'});
		await notifier.idle();
		expect(received).toHaveLength(1);
		expect(received[0]!.headers['title']).toBe('ccfleet: k3f9a2zq failed');
		expect(received[0]!.headers['content-type']).toMatch(/^text\/plain/);
		expect(received[0]!.body).toBe('Timed out after 30 min\nFix the flaky test in k3f9a2zq');
		notifier.close();
	});

	test("a task that failed on another host of a shared fleet is that host's to tell: told once in the fleet, not by every host", async () => {
		const bus = new EventBus();
		const notifier = createNotifier(bus, {channels: [webhookChannel(url, 'text')], logger: silentLogger});
		bus.emit('task:updated', {task: task('r3m0te01', 'failed'), previous: 'running', remote: {host: 'build-server'}});
		bus.emit('task:updated', {task: task('h3r3aaa1', 'failed'), previous: 'running'});
		await notifier.idle();
		expect(received.map(request => request.headers['title'])).toEqual(['ccfleet: h3r3aaa1 failed']);
		notifier.close();
	});

	test('JSON: kind, title, message, task and time; a worker asking carries its question', async () => {
		const bus = new EventBus();
		const notifier = createNotifier(bus, {channels: [webhookChannel(url, 'json')], logger: silentLogger});
		bus.emit('task:created', {task: task('m2c8d1xw', 'running')});
		bus.emit('worker:state', {
			taskId: 'm2c8d1xw',
			state: 'needs_input',
			question: {toolName: 'Bash', toolInput: {command: 'npm test'}, question: 'Allow Bash(npm test)?'},
		});
		bus.emit('fleet:held', {policy: 'daily budget', reason: 'the daily budget of $5.00 is spent', until: Date.now() + 3_600_000});
		await notifier.idle();
		const bodies = received.map(request => JSON.parse(request.body) as Record<string, string>);
		expect(bodies[0]).toMatchObject({kind: 'needs_input', taskId: 'm2c8d1xw', title: 'ccfleet: m2c8d1xw needs input'});
		expect(bodies[0]!.message).toContain('Allow Bash(npm test)?\nFix the flaky test in m2c8d1xw');
		expect(Date.parse(bodies[0]!.at!)).toBeGreaterThan(0);
		expect(bodies[1]).toMatchObject({kind: 'held', title: 'ccfleet: no new task starts (daily budget)', message: 'the daily budget of $5.00 is spent'});
		notifier.close();
	});

	test('50 tasks failing at once make a few notifications and one summary, not a storm', async () => {
		const bus = new EventBus();
		const notifier = createNotifier(bus, {channels: [webhookChannel(url, 'text')], logger: silentLogger, burst: 5, windowMs: 300});
		for (let i = 0; i < 50; i++) bus.emit('task:updated', {task: task(`fail${String(i).padStart(4, '0')}`, 'failed', {failureReason: 'exit 1'}), previous: 'running'});
		// The same task failing again within the minute is not told twice.
		bus.emit('task:updated', {task: task('fail0000', 'failed'), previous: 'running'});
		await notifier.idle();
		expect(received).toHaveLength(5);
		await waitFor('the summary', () => received.length === 6, 5000);
		await notifier.idle();
		expect(received[5]!.headers['title']).toBe('ccfleet: 45 more');
		expect(received[5]!.body).toBe('45 failed. See them with: ccfleet status');
		notifier.close();
	});

	test('a webhook that is down is reported once, and the fleet goes on', async () => {
		const warnings: string[] = [];
		const bus = new EventBus();
		const notifier = createNotifier(bus, {
			channels: [webhookChannel('http://127.0.0.1:9/nobody-listens', 'text')],
			logger: {...silentLogger, warn: message => warnings.push(message)},
		});
		bus.emit('task:updated', {task: task('a0000001', 'failed'), previous: 'running'});
		bus.emit('task:updated', {task: task('a0000002', 'failed'), previous: 'running'});
		await notifier.idle();
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toContain('CCFLEET_NOTIFY_URL');
		notifier.close();
	});
});

describe('desktop', () => {
	let bin: string;
	beforeAll(() => {
		bin = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-notify-send-'));
		// A fake notify-send: it writes its arguments, one per line, where the test can read them.
		writeFileSync(path.join(bin, 'notify-send'), `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg"; done > "${bin}/called"\n`);
		chmodSync(path.join(bin, 'notify-send'), 0o755);
	});
	afterAll(() => rmSync(bin, {recursive: true, force: true}));

	test('notify-send is found on PATH and called with the title and message, a question as critical', async () => {
		const env = {PATH: `/nonexistent${path.delimiter}${bin}`};
		expect(findNotifySend(env)).toBe(path.join(bin, 'notify-send'));
		expect(findNotifySend({PATH: '/nonexistent'})).toBeUndefined();
		const bus = new EventBus();
		const notifier = createNotifier(bus, {channels: [desktopChannel(findNotifySend(env)!, env)], logger: silentLogger});
		bus.emit('question:unanswered', {taskId: 'q1w2e3r4', question: {toolName: 'Bash', toolInput: {}, question: 'Allow Bash(rm -rf dist)?'}, waitingMs: 5 * 60_000});
		await notifier.idle();
		const args = readFileSync(path.join(bin, 'called'), 'utf8').split('\n');
		expect(args.slice(0, 3)).toEqual(['--app-name=ccfleet', '--urgency=critical', 'ccfleet: q1w2e3r4 has waited 5 min']);
		expect(args[3]).toBe('Allow Bash(rm -rf dist)?');
		notifier.close();
	});

	test('the core host starts the channels the config asks for, and none without any', async () => {
		rmSync(path.join(bin, 'called'), {force: true});
		const env = {PATH: bin, CCFLEET_NOTIFY_URL: url, CCFLEET_NOTIFY_FORMAT: 'json', CCFLEET_HOME: bin};
		const bus = new EventBus();
		const notifier = startNotifier(bus, loadConfig(env).notify, env, silentLogger)!;
		bus.emit('task:updated', {task: task('b0000001', 'failed'), previous: 'running'});
		await notifier.idle();
		expect(received).toHaveLength(1);
		expect(existsSync(path.join(bin, 'called'))).toBe(true);
		notifier.close();
		const off = {PATH: bin, CCFLEET_NOTIFY_DESKTOP: '0', CCFLEET_HOME: bin};
		expect(startNotifier(bus, loadConfig(off).notify, off, silentLogger)).toBeUndefined();
	});
});

test('a notify setting that cannot be used says what is accepted', () => {
	expect(() => loadConfig({CCFLEET_NOTIFY_URL: 'ntfy.sh/topic'})).toThrow(ConfigError);
	expect(() => loadConfig({CCFLEET_NOTIFY_URL: 'ntfy.sh/topic'})).toThrow(/give an http\(s\) URL/);
	expect(() => loadConfig({CCFLEET_NOTIFY_FORMAT: 'xml'})).toThrow(/use text .* or json/);
	expect(() => loadConfig({CCFLEET_BELL: 'maybe'})).toThrow(/CCFLEET_BELL/);
	expect(loadConfig({}).notify).toEqual({format: 'text', desktop: true, bell: true});
});
