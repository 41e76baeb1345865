// `ccfleet mcp` with nothing after it, reached from bin/ccfleet.js before cli.tsx: the stdio bridge Claude Code keeps
// running for its whole session, without the argument parser, the MCP SDK, zod or the dashboard, which the bridge never
// uses (a byte pipe needs node:net). Errors are told the way cli.tsx tells them.
import {loadConfig} from '../config.js';
import {exitCodeOf, formatCliError} from './errors.js';
import {runMcpBridge} from './mcp-bridge.js';

try {
	process.exitCode = await runMcpBridge(loadConfig());
} catch (error) {
	process.stderr.write(`ccfleet: ${formatCliError(error)}\n`);
	process.exitCode = exitCodeOf(error);
}
