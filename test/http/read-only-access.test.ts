import {afterAll, beforeAll, expect, it} from 'vitest';
import type {Tool} from '@modelcontextprotocol/sdk/types.js';
import {silentLogger} from '../../source/core/ports/logger.js';
import {createScheduler} from '../../source/core/scheduler.js';
import {READ_ONLY_TOOLS, readOnlyRefusal} from '../../source/http/read-only-access.js';
import {ToolCaller} from '../../source/http/tool-caller.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// The read-only allow-list against the tools as registered: it names only tools that exist and say they change nothing.
let server: InProcessServer;
let tools: Tool[];

beforeAll(async () => {
	server = await startInProcess();
	// With a scheduler, so that the schedule tools are registered too.
	const scheduler = createScheduler({store: new MemoryScheduleStore(), clock: new FakeClock(), ids: {scheduleId: () => 's1'}, fleet: server.fleet, logger: silentLogger});
	const caller = new ToolCaller(() => createFleetMcpServer(server.fleet, {scheduler}));
	tools = await caller.tools();
	await caller.close();
});

afterAll(async () => {
	await server?.close();
});

const viewer = {name: 'viewer', isReadOnly: true, tokenId: 'x'};
const call = (name: string, id = 1) => ({jsonrpc: '2.0', id, method: 'tools/call', params: {name, arguments: {}}});

it('lists only registered tools that are annotated read-only', () => {
	const byName = new Map(tools.map(tool => [tool.name, tool]));
	for (const name of READ_ONLY_TOOLS) {
		expect(byName.has(name), `${name} is no tool`).toBe(true);
		expect(byName.get(name)?.annotations?.readOnlyHint, `${name} is not annotated readOnlyHint`).toBe(true);
	}
	// Every other tool is a write to a read-only token, whatever its annotation says.
	for (const tool of tools) if (!READ_ONLY_TOOLS.has(tool.name)) expect(readOnlyRefusal(call(tool.name), viewer)?.reason, tool.name).toContain('changes the fleet');
});

it('judges every message of a batch, passes responses, and leaves a read-write token alone', () => {
	expect(readOnlyRefusal([{jsonrpc: '2.0', id: 1, method: 'ping'}, call('task_status', 2)], viewer)).toBeUndefined();
	expect(readOnlyRefusal([{jsonrpc: '2.0', id: 1, result: {roots: []}}], viewer)).toBeUndefined();
	expect(readOnlyRefusal([call('task_status', 1), call('delegate_task', 2)], viewer)).toMatchObject({id: 2});
	expect(readOnlyRefusal({jsonrpc: '2.0', id: 3, method: {toString: 'tools/call'}}, viewer)).toMatchObject({id: 3});
	expect(readOnlyRefusal(call('delegate_task'), {...viewer, isReadOnly: false})).toBeUndefined();
});
