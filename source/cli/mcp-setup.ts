import {accessSync, constants, readFileSync, realpathSync, statSync} from 'node:fs';
import {writeFileAtomically} from '../adapters/fs/write-file-atomically.js';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa} from 'execa';
import {findClaudeBinary} from '../adapters/claude/claude-binary.js';
import {CliError} from './client.js';

/** The server name in Claude Code's config; its tools become `mcp__ccfleet__<tool>`. */
const MCP_SERVER_NAME = 'ccfleet';
/** The permission rule that allows every ccfleet tool at once. */
const MCP_PERMISSION = `mcp__${MCP_SERVER_NAME}`;
const MCP_SCOPES = ['user', 'project', 'local'] as const;
export type McpScope = (typeof MCP_SCOPES)[number];

const CLAUDE_TIMEOUT_MS = 60_000;
const binPath = fileURLToPath(new URL('../../bin/ccfleet.js', import.meta.url));

/** A stdio server entry as Claude Code 2.1.330 stores it (`claude mcp add-json` accepts exactly this). */
export type McpServerEntry = {
	type: 'stdio';
	command: string;
	args: string[];
	env: Record<string, string>;
	/**
	 * Without it Claude Code 2.1.330 sends MCP tools to the model only as names behind ToolSearch, so the main
	 * session has to look ccfleet's tools up before it can use them; with it their schemas are in every request.
	 */
	alwaysLoad: true;
};

export type McpSetup = {
	name: string;
	entry: McpServerEntry;
	/** The `.mcp.json` / `--mcp-config` file content. */
	mcpJson: {mcpServers: Record<string, McpServerEntry>};
	/** `claude mcp add …` as argv (after `claude`) and as a shell line. It cannot set alwaysLoad. */
	claudeMcpAdd: {args: string[]; line: string};
	/** `claude mcp add-json …`, which keeps alwaysLoad. */
	claudeMcpAddJson: {args: string[]; line: string};
	allowedToolsFlag: string;
	permissions: {allow: string[]};
	settingsFiles: Record<McpScope, string>;
};

function isExecutableFile(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return statSync(file).isFile();
	} catch {
		return false;
	}
}

function realpathOrSelf(file: string): string {
	try {
		return realpathSync(file);
	} catch {
		return file;
	}
}

/** The first `name` on PATH that is an executable file, as found (not resolved). */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
	for (const dir of (env.PATH ?? '').split(path.delimiter)) {
		if (!dir) continue;
		const candidate = path.join(dir, name);
		if (isExecutableFile(candidate)) return candidate;
	}
	return undefined;
}

/**
 * How Claude Code should start `ccfleet mcp`: plain `ccfleet` when the one on PATH is this very package (a global
 * install), since that survives moves and upgrades; otherwise node and the absolute path of this package's bin.
 * `node` is written bare only when PATH's node is the one running now: Claude Code started from an IDE may see
 * another PATH, and an absolute node path keeps working there.
 */
function serverCommand(env: NodeJS.ProcessEnv = process.env): {command: string; args: string[]} {
	const ownBin = realpathOrSelf(binPath);
	const ccfleet = onPath('ccfleet', env);
	if (ccfleet && realpathOrSelf(ccfleet) === ownBin) return {command: 'ccfleet', args: ['mcp']};
	const node = onPath('node', env);
	const sameNode = node !== undefined && realpathOrSelf(node) === realpathOrSelf(process.execPath);
	return {command: sameNode ? 'node' : process.execPath, args: [ownBin, 'mcp']};
}

/** `settings.json` files per scope, matching where `claude mcp add --scope` puts the server. */
export function settingsFiles(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Record<McpScope, string> {
	const configDir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.claude');
	return {
		user: path.join(configDir, 'settings.json'),
		project: path.join(cwd, '.claude', 'settings.json'),
		local: path.join(cwd, '.claude', 'settings.local.json'),
	};
}

/** Single-quotes what a POSIX shell would otherwise split or expand. */
function shellQuote(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The project scope's `.mcp.json` is committed and read by every collaborator: it runs `ccfleet mcp` from their own
 * PATH and names no state directory, since an absolute path of this checkout or a personal CCFLEET_HOME would be
 * wrong on every other machine.
 */
const SHARED_COMMAND = {command: 'ccfleet', args: ['mcp']};

function mcpSetup(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), scope: McpScope = 'user'): McpSetup {
	const isShared = scope === 'project';
	const {command, args} = isShared ? SHARED_COMMAND : serverCommand(env);
	// A non-default state directory must reach the bridge too, or it would talk to (or start) another core.
	const serverEnv: Record<string, string> = env.CCFLEET_HOME && !isShared ? {CCFLEET_HOME: path.resolve(cwd, env.CCFLEET_HOME)} : {};
	const entry: McpServerEntry = {type: 'stdio', command, args, env: serverEnv, alwaysLoad: true};
	const envFlags = Object.entries(serverEnv).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
	// The name goes before -e, whose variadic value would otherwise swallow it.
	const addArgs = ['mcp', 'add', '--scope', scope, MCP_SERVER_NAME, ...envFlags, '--', command, ...args];
	const addJsonArgs = ['mcp', 'add-json', '--scope', scope, MCP_SERVER_NAME, JSON.stringify(entry)];
	const line = (argv: string[]) => ['claude', ...argv].map(shellQuote).join(' ');
	return {
		name: MCP_SERVER_NAME,
		entry,
		mcpJson: {mcpServers: {[MCP_SERVER_NAME]: entry}},
		claudeMcpAdd: {args: addArgs, line: line(addArgs)},
		claudeMcpAddJson: {args: addJsonArgs, line: line(addJsonArgs)},
		allowedToolsFlag: `--allowedTools ${MCP_PERMISSION}`,
		permissions: {allow: [MCP_PERMISSION]},
		settingsFiles: settingsFiles(env, cwd),
	};
}

/** `ccfleet mcp config`: everything needed to hook ccfleet into Claude Code, for a person or (`--json`) a script. */
export function printMcpConfig(options: {json: boolean}, out: (text: string) => void = text => process.stdout.write(text)): number {
	const setup = mcpSetup();
	if (options.json) {
		out(`${JSON.stringify(setup, null, 2)}\n`);
		return 0;
	}
	const indent = (text: string, by = '     ') =>
		text
			.split('\n')
			.map(row => by + row)
			.join('\n');
	out(
		[
			'ccfleet as an MCP server for Claude Code: `ccfleet mcp` on stdio, passed on to the ccfleet core.',
			'',
			'1. Add it to Claude Code (user scope: every project). Easiest, and it also grants the permission (3):',
			'     ccfleet mcp install            (--scope user|project|local)',
			'   or by hand, with alwaysLoad so the tools are always offered:',
			indent(setup.claudeMcpAddJson.line),
			'   or with plain `claude mcp add`, which cannot set alwaysLoad:',
			indent(setup.claudeMcpAdd.line),
			'',
			'2. Or as a file: .mcp.json in a project, or any file given to `claude --mcp-config <file>`:',
			indent(JSON.stringify(setup.mcpJson, null, 2)),
			'   "alwaysLoad": true puts ccfleet\'s tools in every request. Without it Claude Code (2.1.x) hides MCP tools',
			'   behind ToolSearch and the model has to look them up before it can call them.',
			'',
			'3. Let the main session use the tools without asking each time:',
			`     claude ${setup.allowedToolsFlag}`,
			`   or in a settings file (${setup.settingsFiles.user}, or .claude/settings.json in a project):`,
			indent(JSON.stringify({permissions: setup.permissions})),
			'',
		].join('\n'),
	);
	return 0;
}

type Settings = Record<string, unknown> & {permissions?: Record<string, unknown> & {allow?: unknown}};

/** The settings file's JSON, checked before anything is changed so a broken file stops the install early. */
function readSettings(file: string): Settings {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
		throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
	}
	if (!text.trim()) return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new CliError(`${file} is not valid JSON (${(error as Error).message}). Fix it, then run this again; nothing was changed.`);
	}
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new CliError(`${file} does not hold a JSON object. Fix it, then run this again; nothing was changed.`);
	}
	const settings = parsed as Settings;
	const {permissions} = settings;
	if (permissions !== undefined && (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions))) {
		throw new CliError(`"permissions" in ${file} is not an object. Fix it, then run this again; nothing was changed.`);
	}
	if (permissions?.allow !== undefined && !Array.isArray(permissions.allow)) {
		throw new CliError(`"permissions.allow" in ${file} is not a list. Fix it, then run this again; nothing was changed.`);
	}
	return settings;
}

/** Writes through a temporary file and a rename, so a Claude Code session watching the file never reads half of it. */
function writeSettings(file: string, settings: Settings): void {
	writeFileAtomically(file, `${JSON.stringify(settings, null, 2)}\n`);
}

type ClaudeRun = {exitCode: number | undefined; output: string; failed: boolean; reason?: string};

async function runClaude(claude: string, args: string[]): Promise<ClaudeRun> {
	const result = await execa(claude, args, {reject: false, stdin: 'ignore', timeout: CLAUDE_TIMEOUT_MS, all: true});
	const output = (result.all ?? '').trim();
	if (result.failed && result.exitCode === undefined) {
		return {exitCode: undefined, output, failed: true, reason: result.timedOut ? `did not finish within ${CLAUDE_TIMEOUT_MS / 1000} s` : result.shortMessage};
	}
	return {exitCode: result.exitCode, output, failed: result.exitCode !== 0};
}

function describeFailure(what: string, run: ClaudeRun): string {
	const how = run.reason ?? `exited with code ${run.exitCode}`;
	return `${what} ${how}${run.output ? `:\n${run.output}` : '.'}`;
}

/**
 * `ccfleet mcp install`: adds the server with `claude mcp add-json` (replacing an older ccfleet entry of the same
 * scope) and allows `mcp__ccfleet` in that scope's settings file, keeping everything else in it.
 */
export async function installMcp(options: {scope?: string}, out: (text: string) => void = text => process.stdout.write(text)): Promise<number> {
	const scope = (options.scope ?? 'user') as McpScope;
	if (!MCP_SCOPES.includes(scope)) {
		throw new CliError(`--scope ${options.scope} is not one of ${MCP_SCOPES.join(', ')}.`);
	}
	const setup = mcpSetup(process.env, process.cwd(), scope);
	const settingsFile = setup.settingsFiles[scope];
	const settings = readSettings(settingsFile);

	let claude: string;
	try {
		claude = findClaudeBinary().path;
	} catch (error) {
		throw new CliError(`Cannot add the MCP server: ${(error as Error).message}`);
	}

	const lines: string[] = [];
	let added = await runClaude(claude, setup.claudeMcpAddJson.args);
	if (added.failed && /already exists/i.test(added.output)) {
		const removeArgs = ['mcp', 'remove', '--scope', scope, MCP_SERVER_NAME];
		const removed = await runClaude(claude, removeArgs);
		if (removed.failed) throw new CliError(describeFailure(`\`claude ${removeArgs.join(' ')}\` (to replace the existing entry)`, removed));
		lines.push(`Replaced the existing ${MCP_SERVER_NAME} MCP server in Claude Code's ${scope} config.`);
		added = await runClaude(claude, setup.claudeMcpAddJson.args);
	} else if (!added.failed) {
		lines.push(`Added the ${MCP_SERVER_NAME} MCP server to Claude Code's ${scope} config${scope === 'project' ? ` (${path.join(process.cwd(), '.mcp.json')})` : ''}.`);
	}
	if (added.failed) throw new CliError(describeFailure(`\`${claude} mcp add-json --scope ${scope} ${MCP_SERVER_NAME} …\``, added));
	lines.push(
		`  runs: ${[setup.entry.command, ...setup.entry.args].map(shellQuote).join(' ')}${
			Object.keys(setup.entry.env).length > 0
				? `  with ${Object.entries(setup.entry.env)
						.map(([key, value]) => `${key}=${shellQuote(value)}`)
						.join(' ')}`
				: ''
		}`,
	);
	lines.push('  alwaysLoad: true, so its tools are offered in every request rather than behind ToolSearch.');

	const permissions = settings.permissions ?? {};
	const allow = (permissions.allow ?? []) as unknown[];
	const alreadyAllowed = allow.includes(MCP_PERMISSION);
	if (alreadyAllowed) {
		lines.push(`${settingsFile} already allows ${MCP_PERMISSION}; left it as it was.`);
	} else {
		writeSettings(settingsFile, {...settings, permissions: {...permissions, allow: [...allow, MCP_PERMISSION]}});
		lines.push(`Allowed ${MCP_PERMISSION} (all ccfleet tools) in ${settingsFile} (permissions.allow).`);
	}
	if (scope === 'project') {
		lines.push('Claude Code asks once per person to approve servers from .mcp.json; until then the server shows as "Pending approval".');
		lines.push(".mcp.json runs `ccfleet mcp` from each collaborator's PATH (npm install -g ccfleet, or npm link in a checkout), with their own state directory.");
		if (!onPath('ccfleet', process.env)) lines.push('ccfleet is not on your PATH yet: until it is, use --scope local here (it runs this checkout).');
		if (process.env.CCFLEET_HOME) {
			lines.push(`Your CCFLEET_HOME (${process.env.CCFLEET_HOME}) is yours, so it is not in .mcp.json: keep it set where Claude Code starts, or use --scope local.`);
		}
	}

	lines.push('', 'To undo:', `  claude mcp remove --scope ${scope} ${MCP_SERVER_NAME}`);
	if (!alreadyAllowed) lines.push(`  and take "${MCP_PERMISSION}" out of permissions.allow in ${settingsFile}`);
	lines.push('', `Check it with: claude mcp get ${MCP_SERVER_NAME}`);
	out(`${lines.join('\n')}\n`);
	return 0;
}
