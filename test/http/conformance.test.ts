import {createServer, request, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {createRequire} from 'node:module';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createHttpSandbox, type HttpSandbox} from './http-sandbox.js';

/**
 * The scenarios of the MCP conformance suite (0.1.13) that test a server in general. The others call the suite's own
 * fixtures (tools such as test_simple_text, resources such as test://static-text, prompts), which only its reference
 * server has; the README lists them under "Remote control" and says why they do not apply.
 */
const GENERIC_SCENARIOS = ['server-initialize', 'logging-set-level', 'ping', 'tools-list', 'resources-list', 'server-sse-multiple-streams', 'dns-rebinding-protection'];

const suiteEntry = path.join(path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');

let http: HttpSandbox;
let proxy: Server;

beforeAll(async () => {
	http = await createHttpSandbox();
	// The suite sends no Authorization header and has no option for one: a proxy in front adds the token, and passes
	// Host and Origin through untouched, so the server's real checks (token and DNS rebinding) are what the suite meets.
	const target = new URL(http.url);
	proxy = createServer((incoming, outgoing) => {
		const forwarded = request(
			{host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: {...incoming.headers, authorization: `Bearer ${http.token}`}},
			answer => {
				outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(outgoing);
			},
		);
		forwarded.on('error', () => outgoing.destroy());
		outgoing.on('close', () => forwarded.destroy());
		incoming.pipe(forwarded);
	});
	await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', () => resolve()));
}, 60_000);

afterAll(async () => {
	proxy?.closeAllConnections();
	proxy?.close();
	await http?.cleanup();
});

describe('the MCP conformance suite against /mcp', () => {
	it('passes every generic scenario', async () => {
		const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`;
		const run = await execa(process.execPath, [suiteEntry, 'server', '--url', url, '--suite', 'all'], {
			reject: false,
			timeout: 240_000,
			env: {...process.env, NO_COLOR: '1'},
		});
		const summary = new Map<string, boolean>();
		for (const match of run.stdout.matchAll(/^([✓✗]) ([\w-]+): (\d+) passed, (\d+) failed/gm)) summary.set(match[2]!, match[1] === '✓');
		for (const scenario of GENERIC_SCENARIOS) expect(summary.get(scenario), `${scenario}\n${run.stdout.slice(-3000)}`).toBe(true);
	}, 300_000);
});
