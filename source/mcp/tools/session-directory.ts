import {fileURLToPath} from 'node:url';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {STATED_CWD_CAPABILITY} from '../client-cwd.js';

/** How long the client gets to answer roots/list before the stated directory is used instead. */
const ROOTS_TIMEOUT_MS = 5_000;
/**
 * The calling session's directory, the default `cwd` of a task it delegates or schedules: the first file:// root the
 * client declares (roots/list, when it declared the roots capability; Claude Code answers with its project directory),
 * else the directory it stated at initialize. Undefined when neither says.
 */
export async function sessionDirectory(server: McpServer): Promise<string | undefined> {
	const capabilities = server.server.getClientCapabilities();
	if (capabilities?.roots) {
		try {
			const {roots} = await server.server.listRoots(undefined, {timeout: ROOTS_TIMEOUT_MS});
			const root = roots.find(candidate => candidate.uri.startsWith('file://'));
			if (root) return fileURLToPath(root.uri);
		} catch {
			// A client that declared roots but does not answer: the stated directory, if any, still serves.
		}
	}
	const stated = (capabilities?.experimental?.[STATED_CWD_CAPABILITY] as {cwd?: unknown} | undefined)?.cwd;
	return typeof stated === 'string' && stated.startsWith('/') ? stated : undefined;
}

/** The refusal when a task has no cwd and the session gives none. */
export const NO_SESSION_DIRECTORY =
	'cwd is missing, and this client declares no roots (nor a directory at initialize) to take it from. Give cwd: the absolute path of the project directory the worker should run in.';
