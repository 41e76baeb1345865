import type {Config} from '../config.js';
import {connectToSocket, NoCoreRunningError} from '../mcp/socket-server.js';
import {runStdioBridge} from '../mcp/stdio-bridge.js';
import {startDaemon} from './daemon-launch.js';

/**
 * `ccfleet mcp`: Claude Code's stdio MCP server, piped to the core's socket. Only protocol goes to stdout. It loads
 * no MCP SDK, zod or UI (bin/ccfleet.js comes here straight through mcp-main.ts), so it stays a small process.
 */
export async function runMcpBridge(config: Config): Promise<number> {
	try {
		const probe = await connectToSocket(config.socketPath, {timeoutMs: 2_000});
		probe.destroy();
	} catch (error) {
		if (!(error instanceof NoCoreRunningError)) throw error;
		await startDaemon(config);
	}
	return runStdioBridge({socketPath: config.socketPath, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd()});
}
