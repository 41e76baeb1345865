import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {McpSetup} from '../../source/cli/mcp-setup.js';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {claudeBinary} from '../helpers/claude-env.js';

// `ccfleet mcp config` and `ccfleet mcp install` as a user runs them, checked against what the real claude 2.1.330
// stores and reports, in a throwaway CLAUDE_CONFIG_DIR and HOME.
let sandbox: Sandbox;
let scratch: string;

beforeAll(async () => {
	sandbox = await createSandbox();
	scratch = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-mcp-setup-'));
});

afterAll(async () => {
	await sandbox?.cleanup();
	rmSync(scratch, {recursive: true, force: true});
});

type ServerEntry = {type?: string; command: string; args: string[]; env?: Record<string, string>; alwaysLoad?: boolean};
type ClaudeJson = {mcpServers?: Record<string, ServerEntry>; projects?: Record<string, {mcpServers?: Record<string, ServerEntry>}>};

async function claude(args: string[]) {
	const result = await execa(claudeBinary(), args, {cwd: sandbox.project, env: sandbox.env, stdin: 'ignore', reject: false, timeout: 20_000, all: true});
	return {exitCode: result.exitCode, output: result.all ?? ''};
}

const claudeJson = () => JSON.parse(readFileSync(path.join(sandbox.claude.configDir, '.claude.json'), 'utf8')) as ClaudeJson;
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const userSettings = () => path.join(sandbox.claude.configDir, 'settings.json');
const localSettings = () => path.join(sandbox.project, '.claude', 'settings.local.json');
const projectSettings = () => path.join(sandbox.project, '.claude', 'settings.json');
/** Node as `ccfleet mcp config` writes it: bare when PATH's node is this one, else its absolute path. */
const nodeCommand = expect.stringMatching(new RegExp(`^(node|${process.execPath.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')})$`)) as unknown as string;

describe('ccfleet mcp config', () => {
	it('prints the claude mcp add line, the .mcp.json entry with alwaysLoad, and the permission grant', async () => {
		// Without CCFLEET_HOME the server entry needs no env: the bridge finds the default state directory itself.
		const {stdout, exitCode} = await sandbox.cli(['mcp', 'config'], {env: {CCFLEET_HOME: ''}});
		expect(exitCode).toBe(0);
		expect(stdout).toMatch(new RegExp(`claude mcp add --scope user ccfleet -- (node|\\S+) ${binPath.replaceAll('.', '\\.')} mcp\\n`));
		expect(stdout).toContain(`"alwaysLoad": true`);
		expect(stdout).toContain('claude --allowedTools mcp__ccfleet');
		expect(stdout).toContain('{"permissions":{"allow":["mcp__ccfleet"]}}');
	});

	it('prints it all as JSON, and the commands it prints work with the real claude', async () => {
		const {stdout, exitCode} = await sandbox.cli(['mcp', 'config', '--json']);
		expect(exitCode).toBe(0);
		const setup = JSON.parse(stdout) as McpSetup;
		const entry = {type: 'stdio', command: nodeCommand, args: [binPath, 'mcp'], env: {CCFLEET_HOME: sandbox.home}, alwaysLoad: true};
		expect(setup).toMatchObject({
			name: 'ccfleet',
			entry,
			mcpJson: {mcpServers: {ccfleet: entry}},
			allowedToolsFlag: '--allowedTools mcp__ccfleet',
			permissions: {allow: ['mcp__ccfleet']},
			settingsFiles: {user: userSettings(), project: projectSettings(), local: localSettings()},
		});

		// `claude mcp add` has no way to say alwaysLoad; add-json keeps it.
		expect((await claude(setup.claudeMcpAdd.args)).exitCode).toBe(0);
		expect(claudeJson().mcpServers?.['ccfleet']).toEqual({type: 'stdio', command: setup.entry.command, args: [binPath, 'mcp'], env: {CCFLEET_HOME: sandbox.home}});
		expect((await claude(['mcp', 'remove', '--scope', 'user', 'ccfleet'])).exitCode).toBe(0);
		expect((await claude(setup.claudeMcpAddJson.args)).exitCode).toBe(0);
		expect(claudeJson().mcpServers?.['ccfleet']).toEqual(setup.entry);
		expect((await claude(['mcp', 'remove', '--scope', 'user', 'ccfleet'])).exitCode).toBe(0);
	});

	it('uses plain `ccfleet` when the ccfleet on PATH is this package, and not when it is another one', async () => {
		const ours = path.join(scratch, 'ours');
		const theirs = path.join(scratch, 'theirs');
		mkdirSync(ours);
		mkdirSync(theirs);
		symlinkSync(binPath, path.join(ours, 'ccfleet'));
		writeFileSync(path.join(theirs, 'ccfleet'), '#!/bin/sh\necho other\n');
		chmodSync(path.join(theirs, 'ccfleet'), 0o755);

		const withOurs = JSON.parse((await sandbox.cli(['mcp', 'config', '--json'], {env: {PATH: `${ours}:${process.env['PATH']}`}})).stdout) as McpSetup;
		expect(withOurs.entry).toMatchObject({command: 'ccfleet', args: ['mcp']});
		expect(withOurs.claudeMcpAdd.line).toBe(`claude mcp add --scope user ccfleet -e CCFLEET_HOME=${sandbox.home} -- ccfleet mcp`);
		const withTheirs = JSON.parse((await sandbox.cli(['mcp', 'config', '--json'], {env: {PATH: `${theirs}:${process.env['PATH']}`}})).stdout) as McpSetup;
		expect(withTheirs.entry).toMatchObject({command: nodeCommand, args: [binPath, 'mcp']});
	});

	it('knows that claude 2.1.330 validates alwaysLoad as a boolean', async () => {
		// The schema compiled into claude knows the key: a wrong type is refused, while unknown keys pass silently.
		const wrong = await claude(['mcp', 'add-json', '--scope', 'user', 'probe', JSON.stringify({type: 'stdio', command: 'true', alwaysLoad: 'yes'})]);
		expect(wrong.exitCode).toBe(1);
		expect(wrong.output).toContain('alwaysLoad: expected boolean');
	});
});

describe('ccfleet mcp install', () => {
	it('adds the server for the user with alwaysLoad and allows mcp__ccfleet; claude mcp get finds it connected', async () => {
		await sandbox.startDaemon();
		const {stdout, stderr, exitCode} = await sandbox.cli(['mcp', 'install']);
		expect(exitCode, stderr).toBe(0);
		expect(stdout).toContain("Added the ccfleet MCP server to Claude Code's user config.");
		expect(stdout).toContain(`Allowed mcp__ccfleet (all ccfleet tools) in ${userSettings()}`);
		expect(stdout).toContain('claude mcp remove --scope user ccfleet');

		expect(claudeJson().mcpServers?.['ccfleet']).toEqual({
			type: 'stdio',
			command: nodeCommand,
			args: [binPath, 'mcp'],
			env: {CCFLEET_HOME: sandbox.home},
			alwaysLoad: true,
		});
		expect(readJson(userSettings())).toEqual({permissions: {allow: ['mcp__ccfleet']}});
		// `claude mcp get` starts the server to check it, so this goes through the bridge to the running core.
		const got = await claude(['mcp', 'get', 'ccfleet']);
		expect(got.output).toContain('Scope: User config');
		expect(got.output).toContain('Connected');
		expect(got.output).not.toContain('Failed');

		// Again: the entry is replaced rather than refused, and the grant is not added twice.
		const again = await sandbox.cli(['mcp', 'install']);
		expect(again.exitCode, again.stderr).toBe(0);
		expect(again.stdout).toContain("Replaced the existing ccfleet MCP server in Claude Code's user config.");
		expect(again.stdout).toContain('already allows mcp__ccfleet');
		expect(readJson(userSettings())).toEqual({permissions: {allow: ['mcp__ccfleet']}});
		expect((await claude(['mcp', 'remove', '--scope', 'user', 'ccfleet'])).exitCode).toBe(0);
	});

	it('adds to an existing local settings file without clobbering it', async () => {
		mkdirSync(path.dirname(localSettings()), {recursive: true});
		writeFileSync(localSettings(), JSON.stringify({model: 'sonnet', permissions: {allow: ['Bash(ls:*)'], deny: ['Read(.env)']}, env: {A: '1'}}));
		const {stdout, stderr, exitCode} = await sandbox.cli(['mcp', 'install', '--scope', 'local']);
		expect(exitCode, stderr).toBe(0);
		expect(stdout).toContain('claude mcp remove --scope local ccfleet');
		expect(readJson(localSettings())).toEqual({model: 'sonnet', permissions: {allow: ['Bash(ls:*)', 'mcp__ccfleet'], deny: ['Read(.env)']}, env: {A: '1'}});
		expect(claudeJson().projects?.[sandbox.project]?.mcpServers?.['ccfleet']).toMatchObject({alwaysLoad: true, args: [binPath, 'mcp']});
		expect((await claude(['mcp', 'get', 'ccfleet'])).output).toContain('Scope: Local config');
		expect((await claude(['mcp', 'remove', '--scope', 'local', 'ccfleet'])).exitCode).toBe(0);
	});

	it('refuses a settings file that is not JSON before changing anything', async () => {
		mkdirSync(path.dirname(projectSettings()), {recursive: true});
		writeFileSync(projectSettings(), '{"permissions": {"allow": [');
		const {stderr, exitCode} = await sandbox.cli(['mcp', 'install', '--scope', 'project']);
		expect(exitCode).toBe(1);
		expect(stderr).toContain(`${projectSettings()} is not valid JSON`);
		expect(stderr).toContain('nothing was changed');
		expect(existsSync(path.join(sandbox.project, '.mcp.json'))).toBe(false);
		expect(readFileSync(projectSettings(), 'utf8')).toBe('{"permissions": {"allow": [');
		rmSync(projectSettings());
	});

	it('writes .mcp.json with alwaysLoad for the project scope', async () => {
		const {stdout, stderr, exitCode} = await sandbox.cli(['mcp', 'install', '--scope', 'project']);
		expect(exitCode, stderr).toBe(0);
		expect(stdout).toContain('Pending approval');
		// Committed and read by every collaborator: no path of this checkout, no personal CCFLEET_HOME.
		expect(readJson(path.join(sandbox.project, '.mcp.json'))).toEqual({
			mcpServers: {ccfleet: {type: 'stdio', command: 'ccfleet', args: ['mcp'], env: {}, alwaysLoad: true}},
		});
		expect(readFileSync(path.join(sandbox.project, '.mcp.json'), 'utf8')).not.toContain(sandbox.home);
		expect(stdout).toContain(".mcp.json runs `ccfleet mcp` from each collaborator's PATH");
		expect(stdout).toContain(`Your CCFLEET_HOME (${sandbox.home}) is yours, so it is not in .mcp.json`);
		expect(readJson(projectSettings())).toEqual({permissions: {allow: ['mcp__ccfleet']}});
		expect((await claude(['mcp', 'get', 'ccfleet'])).output).toContain('Scope: Project config');
	});

	it('says clearly when claude is missing or fails, and what it said', async () => {
		const missing = await sandbox.cli(['mcp', 'install'], {env: {CCFLEET_CLAUDE_BIN: '/no/such/claude'}});
		expect(missing.exitCode).toBe(1);
		expect(missing.stderr).toContain('ccfleet: Cannot add the MCP server: CCFLEET_CLAUDE_BIN is set to /no/such/claude');

		const failing = path.join(scratch, 'failing-claude');
		writeFileSync(failing, '#!/bin/sh\necho "config is locked" >&2\nexit 3\n');
		chmodSync(failing, 0o755);
		rmSync(userSettings(), {force: true});
		const failed = await sandbox.cli(['mcp', 'install'], {env: {CCFLEET_CLAUDE_BIN: failing}});
		expect(failed.exitCode).toBe(1);
		expect(failed.stderr).toContain(`${failing} mcp add-json --scope user ccfleet …\` exited with code 3:\nconfig is locked`);
		expect(existsSync(userSettings())).toBe(false);

		const badScope = await sandbox.cli(['mcp', 'install', '--scope', 'global']);
		expect(badScope.stderr).toContain('--scope global is not one of user, project, local.');
	});
});
