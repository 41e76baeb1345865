import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {type Socket} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectToSocket} from '../../source/mcp/socket-server.js';
import type {TaskView} from '../../source/protocol/views.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';
import {generateBadRequests, seededRandom, type BadRequest, type ToolInfo} from './bad-requests.js';
import {isClearRefusal, isRefusal, RawRpc, type Answer} from './raw-rpc.js';

// Bad input from every side a client can reach: generated tools/call requests with one defect each, raw framing
// garbage on the socket and through `ccfleet mcp`, and malformed command lines. Nothing may crash the core, no refused
// request may leave a task behind, and every refusal must say what is wrong.
const SEED = 13;
const BATCH = 25;

let sandbox: Sandbox;
let corePid: number;
const tally = {
	tried: 0,
	crashes: 0,
	unclear: [] as string[],
	accepted: [] as string[],
	rejectedMarkers: new Set<string>(),
	acceptedMarkers: new Set<string>(),
	whatByMarker: new Map<string, string>(),
	tasksFromRejected: 0,
};

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '1'});
	await sandbox.startDaemon();
	corePid = sandbox.corePid()!;
}, 60_000);

afterAll(async () => {
	process.stdout.write(
		`bad input: ${tally.tried} tried, ${tally.crashes} crashes, ${tally.tasksFromRejected} tasks created by refused requests, ${tally.unclear.length} answers without a clear error, ${tally.accepted.length} accepted (${tally.accepted.slice(0, 5).join('; ')})\n`,
	);
	await sandbox.cleanup();
});

async function rawSession(): Promise<{rpc: RawRpc; socket: Socket}> {
	const socket = await connectToSocket(`${sandbox.home}/run/ccfleet.sock`);
	socket.on('error', () => {});
	const rpc = new RawRpc(socket, socket);
	await rpc.initialize();
	return {rpc, socket};
}

function assertCoreAlive(): void {
	const alive = (() => {
		try {
			process.kill(corePid, 0);
			return true;
		} catch {
			return false;
		}
	})();
	if (!alive || sandbox.corePid() !== corePid) tally.crashes++;
	expect(alive).toBe(true);
	expect(sandbox.corePid()).toBe(corePid);
}

/** Sends the requests in batches, records each answer, and returns them in order. */
async function sendAll(rpc: RawRpc, requests: BadRequest[]): Promise<Answer[]> {
	const answers: Answer[] = [];
	for (let start = 0; start < requests.length; start += BATCH) {
		const batch = requests.slice(start, start + BATCH);
		for (const request of batch) rpc.send(request.message);
		const ids = batch.map(request => request.message['id'] as number);
		await waitFor(`answers to requests ${ids[0]}…${ids.at(-1)}`, () => ids.every(id => rpc.answerTo(id)), 60_000, 10);
		for (const [index, request] of batch.entries()) {
			const answer = rpc.answerTo(ids[index]!)!;
			tally.tried++;
			tally.whatByMarker.set(request.marker, request.what);
			answers.push(answer);
			if (isRefusal(answer)) {
				tally.rejectedMarkers.add(request.marker);
				if (!isClearRefusal(answer)) tally.unclear.push(`${request.what}: ${JSON.stringify(answer).slice(0, 300)}`);
			} else {
				tally.accepted.push(request.what);
				tally.acceptedMarkers.add(request.marker);
			}
		}
	}
	return answers;
}

async function listTools(rpc: RawRpc): Promise<ToolInfo[]> {
	const answer = await rpc.request({jsonrpc: '2.0', id: 1, method: 'tools/list'});
	return (answer.result as unknown as {tools: ToolInfo[]}).tools;
}

/** Garbage that is not a message at all, each line expecting one -32700 or -32600 answer. */
const GARBAGE_LINES = [
	'hello',
	'{',
	'{"jsonrpc":"2.0","id":900,"method":"tools/list"',
	'}}}}',
	'null',
	'true',
	'"just a string"',
	'[]',
	'[1,2,3]',
	'{"jsonrpc":"2.0","id":901}',
	'{"jsonrpc":"2.0","id":902,"params":{}}',
	'{"jsonrpc":"1.0","id":903,"method":"tools/list"}',
	'{"id":904,"method":"tools/list"}',
	'{"jsonrpc":"2.0","id":905,"method":null}',
	'{"jsonrpc":"2.0","id":906,"method":"tools/list","params":[]}',
	'{"jsonrpc":"2.0","id":[907],"method":"tools/list"}',
	'{"jsonrpc":"2.0","id":908,"method":"tools/call","params":"delegate_task"}',
	'\u0000\u0001\u0002',
	'\uFEFF{"jsonrpc":"2.0","id":909,"method":"ping"',
];

function binaryGarbage(seed: number, bytes: number): Buffer {
	const random = seededRandom(seed);
	// No newline inside: each buffer is one line of noise, answered once.
	return Buffer.from(Array.from({length: bytes}, () => 0x0b + Math.floor(random() * 240)));
}

describe('bad input', () => {
	it('answers over 1,000 generated malformed tools/call requests, one defect each, clearly and without a task', async () => {
		const unclearBefore = tally.unclear.length;
		const {rpc, socket} = await rawSession();
		const tools = await listTools(rpc);
		expect(tools.length).toBeGreaterThanOrEqual(10);
		const requests = generateBadRequests(tools, {seed: SEED, minimum: 1000, cwd: sandbox.project, firstId: 1000});
		expect(requests.length).toBeGreaterThanOrEqual(1000);
		expect(new Set(requests.map(request => request.what.split(':')[0])).size).toBe(tools.length + 1);
		await sendAll(rpc, requests);
		socket.destroy();
		assertCoreAlive();
		expect(tally.unclear.slice(unclearBefore)).toEqual([]);
	}, 600_000);

	it('answers raw garbage on the socket line by line and keeps the connection; an oversized line is refused and closed', async () => {
		const {rpc, socket} = await rawSession();
		for (const line of GARBAGE_LINES) rpc.write(`${line}\n`);
		for (let index = 0; index < 5; index++) rpc.write(Buffer.concat([binaryGarbage(index, 2000), Buffer.from('\n')]));
		const expected = GARBAGE_LINES.length + 5;
		await waitFor('an answer to every garbage line', () => rpc.answers.length >= 1 + expected, 30_000);
		tally.tried += expected;
		const garbageAnswers = rpc.answers.slice(1);
		for (const answer of garbageAnswers) {
			if (!isClearRefusal(answer)) tally.unclear.push(`socket garbage: ${JSON.stringify(answer).slice(0, 200)}`);
			expect([-32700, -32600]).toContain(answer.error?.code);
		}
		expect(rpc.answerTo(903)?.error?.message).toMatch(/"jsonrpc" must be "2.0"/);
		expect(rpc.answerTo(901)?.error?.message).toMatch(/"method" must be a string/);
		expect(rpc.unparsable).toEqual([]);
		// The session survived all of it.
		expect((await rpc.request({jsonrpc: '2.0', id: 950, method: 'ping'})).result).toEqual({});

		const closed = once(socket, 'close');
		rpc.write('x'.repeat(11 * 1024 * 1024));
		await closed;
		tally.tried++;
		expect(rpc.answers.at(-1)?.error).toMatchObject({code: -32600, message: expect.stringMatching(/longer than/)});

		// A half line and a hang-up: nothing to answer, nothing may break.
		const half = await rawSession();
		half.rpc.write('{"jsonrpc":"2.0","id":7,"method":"tools/ca');
		half.socket.end();
		await once(half.socket, 'close');
		tally.tried++;
		assertCoreAlive();
	}, 120_000);

	it('answers garbage and malformed requests through `ccfleet mcp` on stdio, then exits 0 when stdin ends', async () => {
		const unclearBefore = tally.unclear.length;
		const child = spawn(process.execPath, [binPath, 'mcp'], {cwd: sandbox.project, env: {...process.env, ...sandbox.env}, stdio: ['pipe', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const rpc = new RawRpc(child.stdout, child.stdin);
		await rpc.initialize();
		for (const line of GARBAGE_LINES) rpc.write(`${line}\n`);
		for (let index = 0; index < 3; index++) rpc.write(Buffer.concat([binaryGarbage(100 + index, 4000), Buffer.from('\n')]));
		await waitFor('an answer to every garbage line on stdio', () => rpc.answers.length >= 1 + GARBAGE_LINES.length + 3, 30_000);
		tally.tried += GARBAGE_LINES.length + 3;
		for (const answer of rpc.answers.slice(1)) expect(isClearRefusal(answer)).toBe(true);
		const tools = await listTools(rpc);
		const requests = generateBadRequests(tools, {seed: SEED + 1, minimum: 150, cwd: sandbox.project, firstId: 5000}).slice(0, 150);
		await sendAll(rpc, requests);
		child.stdin.end();
		const [code] = (await once(child, 'exit')) as [number | null];
		expect({code, stderr}).toEqual({code: 0, stderr: ''});
		expect(rpc.unparsable).toEqual([]);
		assertCoreAlive();
		expect(tally.unclear.slice(unclearBefore)).toEqual([]);
	}, 300_000);

	it('refuses malformed command lines with exit 1 (2 for an unknown flag) and one line that says what to do', async () => {
		const cases = [
			['nosuchcommand'],
			['--bogus'],
			['delegate'],
			['delegate', '--priority', 'P9', 'a prompt'],
			['delegate', '--timeout', 'soon', 'a prompt'],
			['delegate', '--max-budget-usd', 'lots', 'a prompt'],
			['delegate', '--mode', 'telepathy', 'a prompt'],
			['delegate', '--file', '/nonexistent/prompt.md'],
			['delegate', '--no-such-flag', 'a prompt'],
			['status', 'no-such-task'],
			['logs'],
			['cancel'],
			['respond', 'no-such-task', 'maybe'],
			['wait'],
			['schedule', 'create', '--cron', 'every tuesday', 'a prompt'],
			['schedule', 'frobnicate'],
			['configure', '--max-workers', 'many'],
			['mcp', 'bogus'],
		];
		const unclearBefore = tally.unclear.length;
		// Each command line is refused on its own: they run at once rather than one start-up after another.
		const results = await Promise.all(cases.map(async args => sandbox.cli(args)));
		for (const [index, args] of cases.entries()) {
			const result = results[index]!;
			tally.tried++;
			const text = result.stderr.trim();
			const clear = [1, 2].includes(result.exitCode) && /^ccfleet|^\s*(Unknown|Error|ccfleet)/i.test(text) && text.length > 15 && !/\n\s+at /.test(text);
			if (!clear) tally.unclear.push(`ccfleet ${args.join(' ')}: exit ${result.exitCode}: ${text.slice(0, 300)}`);
		}
		assertCoreAlive();
		expect(tally.unclear.slice(unclearBefore)).toEqual([]);
	}, 600_000);

	it('left no task from a refused request: every task there was created by an accepted one', async () => {
		const {rpc, socket} = await rawSession();
		const answer = await rpc.request({jsonrpc: '2.0', id: 99_999, method: 'tools/call', params: {name: 'task_status', arguments: {limit: 1000}}});
		socket.destroy();
		const tasks = (answer.result?.structuredContent as {tasks: TaskView[]}).tasks;
		const describe = (task: TaskView) => `${task.prompt.slice(0, 60)} (from ${tally.whatByMarker.get(/req-\d+/.exec(task.prompt)?.[0] ?? '') ?? 'no request'})`;
		const fromRejected = tasks.filter(task => [...task.prompt.matchAll(/req-\d+/g)].some(match => tally.rejectedMarkers.has(match[0])));
		tally.tasksFromRejected = fromRejected.length;
		const unexplained = tasks.filter(task => ![...task.prompt.matchAll(/req-\d+/g)].some(match => tally.acceptedMarkers.has(match[0])));
		expect(fromRejected.map(describe)).toEqual([]);
		expect(unexplained.map(describe)).toEqual([]);
		assertCoreAlive();
		expect(tally.crashes).toBe(0);
		expect(tally.tried).toBeGreaterThanOrEqual(1000);
	}, 60_000);
});
