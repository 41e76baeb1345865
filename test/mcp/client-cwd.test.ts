import {mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import {afterEach, describe, expect, it} from 'vitest';
import {clientCwdStamp, STATED_CWD_CAPABILITY, withClientCwd} from '../../source/mcp/client-cwd.js';
import {runStdioBridge} from '../../source/mcp/stdio-bridge.js';
import {waitFor} from '../helpers/wait-for.js';

const initialize = {jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'claude-code', version: '2'}}};

const cleanups: (() => void)[] = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("the MCP client's working directory, told by `ccfleet mcp`", () => {
	it("goes into initialize's experimental capabilities, beside what the client put there; other lines stay as they were", () => {
		const stamped = JSON.parse(
			withClientCwd(JSON.stringify({...initialize, params: {...initialize.params, capabilities: {roots: {}, experimental: {other: 1}}}}), '/home/me/project'),
		) as {params: {capabilities: Record<string, unknown>; clientInfo: unknown}};
		expect(stamped.params.capabilities).toEqual({roots: {}, experimental: {other: 1, [STATED_CWD_CAPABILITY]: {cwd: '/home/me/project'}}});
		const own = JSON.parse(
			withClientCwd(JSON.stringify({...initialize, params: {...initialize.params, capabilities: {experimental: {ccfleet: {cwd: '/mine'}}}}}), '/p'),
		) as {
			params: {capabilities: {experimental: Record<string, unknown>}};
		};
		expect(own.params.capabilities.experimental).toEqual({ccfleet: {cwd: '/mine'}});
		expect(stamped.params.clientInfo).toEqual(initialize.params.clientInfo);
		const call = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'x'}});
		expect(withClientCwd(call, '/p')).toBe(call);
		expect(withClientCwd('not json', '/p')).toBe('not json');
	});

	it('rewrites only the first line, also when it arrives in pieces, and passes the rest byte for byte', async () => {
		const stamp = clientCwdStamp('/p');
		const chunks: Buffer[] = [];
		stamp.on('data', (chunk: Buffer) => chunks.push(chunk));
		const first = JSON.stringify(initialize);
		const rest = `${JSON.stringify({jsonrpc: '2.0', method: 'initialize', params: {}})}\n\u00e9\n`;
		stamp.write(first.slice(0, 10));
		stamp.write(`${first.slice(10)}\n${rest.slice(0, 5)}`);
		stamp.end(rest.slice(5));
		await new Promise(resolve => stamp.once('end', resolve));
		const [line, ...others] = Buffer.concat(chunks).toString().split('\n');
		expect((JSON.parse(line!) as {params: {capabilities: unknown}}).params.capabilities).toEqual({experimental: {[STATED_CWD_CAPABILITY]: {cwd: '/p'}}});
		expect(others.join('\n')).toBe(rest);
	});

	it('reaches the core through the bridge', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-cwd-'));
		cleanups.push(() => rmSync(dir, {recursive: true, force: true}));
		const socketPath = path.join(dir, 'core.sock');
		let received = '';
		const server = createServer(connection => {
			connection.on('data', (chunk: Buffer) => {
				received += chunk.toString();
			});
			connection.on('end', () => connection.end());
		});
		await new Promise<void>(resolve => server.listen(socketPath, resolve));
		cleanups.push(() => server.close());
		const stdin = new PassThrough();
		const bridged = runStdioBridge({socketPath, stdin, stdout: new PassThrough(), stderr: new PassThrough(), cwd: '/work/there'});
		stdin.end(`${JSON.stringify(initialize)}\n`);
		await waitFor('the core to receive initialize', () => received.endsWith('\n'));
		expect(
			(JSON.parse(received) as {params: {capabilities: {experimental: Record<string, {cwd: string}>}}}).params.capabilities.experimental[STATED_CWD_CAPABILITY]!.cwd,
		).toBe('/work/there');
		expect(await bridged).toBe(0);
	});
});
