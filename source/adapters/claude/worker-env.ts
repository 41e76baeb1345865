/**
 * Variables a parent Claude Code session sets for its children. A worker that inherits them is treated as a
 * nested session (Delegate's workers were refused this way), so they are removed.
 */
const NESTED_SESSION_VARS = /^(CLAUDECODE|CLAUDE_CODE_.*|CLAUDE_PROJECT_DIR|CLAUDE_ENV_FILE)$/;

/**
 * CLAUDE_CODE_* variables that are the user's own configuration (provider, auth, limits, quiet switches), not
 * session state. They pass through.
 */
const USER_CONFIG_VARS = new Set([
	'CLAUDE_CODE_USE_BEDROCK',
	'CLAUDE_CODE_USE_VERTEX',
	'CLAUDE_CODE_USE_FOUNDRY',
	'CLAUDE_CODE_OAUTH_TOKEN',
	'CLAUDE_CODE_API_KEY_HELPER_TTL_MS',
	'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
	'CLAUDE_CODE_SKIP_VERTEX_AUTH',
	'CLAUDE_CODE_MAX_OUTPUT_TOKENS',
	'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
	'CLAUDE_CODE_DISABLE_TERMINAL_TITLE',
	'CLAUDE_CODE_CLIENT_CERT',
	'CLAUDE_CODE_CLIENT_KEY',
	'CLAUDE_CODE_CLIENT_KEY_PASSPHRASE',
]);

/** The environment a worker starts with: the user's, minus a parent session's markers, plus `extra`. */
export function workerEnv(parent: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(parent)) {
		if (value === undefined) continue;
		if (NESTED_SESSION_VARS.test(name) && !USER_CONFIG_VARS.has(name)) continue;
		env[name] = value;
	}
	return {...env, ...extra};
}
