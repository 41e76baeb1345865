/**
 * Variables a parent Claude Code session sets for the processes it starts (read from 2.1.330's Bash tool
 * environment and its hooks). A worker that inherits them is treated as part of that session — Delegate's workers
 * were refused as nested sessions this way — so they are removed. Everything else, the user's own CLAUDE_CODE_*
 * settings among it (CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_OAUTH_TOKEN, CLAUDE_CODE_MAX_RETRIES…), passes through.
 */
const PARENT_SESSION_VARS = new Set([
	'CLAUDECODE',
	'CLAUDE_CODE_ENTRYPOINT',
	'CLAUDE_CODE_EXECPATH',
	'CLAUDE_CODE_SSE_PORT',
	'CLAUDE_PID',
	'CLAUDE_EFFORT',
	'CLAUDE_PROJECT_DIR',
	'CLAUDE_ENV_FILE',
	'AI_AGENT',
	// The core may run inside the person's tmux, but a worker's terminal is its own pty: told it is in tmux, claude
	// shows tmux hints on every worker's screen.
	'TMUX',
	'TMUX_PANE',
]);
const PARENT_SESSION_PREFIXES = ['CLAUDE_CODE_SESSION_', 'CLAUDE_CODE_CHILD_', 'CLAUDE_CODE_MESSAGING_'];

function isParentSessionVar(name: string): boolean {
	return PARENT_SESSION_VARS.has(name) || PARENT_SESSION_PREFIXES.some(prefix => name.startsWith(prefix));
}

/** The environment a worker starts with: the user's, minus a parent session's markers, plus `extra`. */
export function workerEnv(parent: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(parent)) {
		if (value !== undefined && !isParentSessionVar(name)) env[name] = value;
	}
	return {...env, ...extra};
}
