import {afterAll, beforeAll, expect, it} from 'vitest';
import {ToolCaller} from '../../source/http/tool-caller.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// The REST routes' way to the MCP tools (and /openapi.json's tool list).
let server: InProcessServer;

beforeAll(async () => {
	server = await startInProcess();
});

afterAll(async () => {
	await server?.close();
});

it('lists the tools again after a listing failed, instead of keeping the failure', async () => {
	let calls = 0;
	const caller = new ToolCaller(() => {
		calls++;
		if (calls === 1) throw new Error('not yet');
		return createFleetMcpServer(server.fleet);
	});
	await expect(caller.tools()).rejects.toThrow('not yet');
	expect((await caller.tools()).map(tool => tool.name)).toContain('task_status');
	await caller.close();
});
