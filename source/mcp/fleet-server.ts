import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import type {Fleet} from '../core/fleet.js';
import type {Scheduler} from '../core/scheduler.js';
import {registerFleetResource} from './fleet-feed.js';
import {registerFleetTools} from './tools/fleet-tools.js';
import {registerInteractionTools} from './tools/interaction-tools.js';
import {registerScheduleTools} from './tools/schedule-tools.js';
import {registerTaskResources} from './task-resources.js';
import {registerTaskTools} from './tools/task-tools.js';
import {registerWorkflowTools} from './tools/workflow-tools.js';
import {registerWorktreeTools} from './tools/worktree-tools.js';
import {captureTools, namedTaskIds} from './tools/tool-registry.js';

const SERVER_INFO = {name: 'ccfleet', version: '0.1.0'};

/** The MCP face of the fleet: one server per client connection, all sharing the one fleet. */
export function createFleetMcpServer(fleet: Fleet, extras: {scheduler?: Scheduler} = {}): McpServer {
	const server = new McpServer(SERVER_INFO, {
		capabilities: {logging: {}},
		instructions:
			'ccfleet runs background Claude Code workers. Hand work off with delegate_task and collect the result with wait_for_task; ' +
			'answer a worker that asks for permission with respond_to_task; look in with task_status, task_logs and fleet_status. Tasks survive restarts.',
	});
	// Every tool's arguments are checked by one reader that refuses unknown fields by name (tools/tool-registry.ts); the
	// tasks they name are read back first when a shared store keeps them out of memory (old finished ones).
	const tools = captureTools(server, args => fleet.preload(namedTaskIds(args)));
	registerTaskTools(server, fleet);
	registerInteractionTools(server, fleet);
	registerFleetTools(server, fleet);
	registerWorkflowTools(server, fleet);
	registerWorktreeTools(server, fleet);
	if (extras.scheduler) registerScheduleTools(server, extras.scheduler);
	tools.install();
	// Both dispose themselves (their fleet listeners and timers) when the connection closes.
	const fleetResource = registerFleetResource(server, fleet, extras.scheduler ? {scheduler: extras.scheduler} : {});
	registerTaskResources(server, fleet, [fleetResource]);
	return server;
}
