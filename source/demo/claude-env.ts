// A throwaway Claude Code config and HOME pointed at the mock API, for tests and for `ccfleet --demo`: the real
// binary never touches ~/.claude, never reaches the network and never stops at a first-run dialog.
import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import path from 'node:path';

export const claudeVersion = '2.1.330';
export const mockApiKey = 'sk-ant-mock-0123456789abcdefghij';

export type ClaudeEnv = {
	configDir: string;
	homeDir: string;
	env: Record<string, string>;
	cleanup(): void;
};

export type ClaudeEnvOptions = {
	mockUrl: string;
	/** Directories whose trust dialog counts as already accepted (subdirectories inherit it). */
	trustedDirs?: string[];
	/** Leave out the API-key approval, to exercise the "Detected a custom API key" dialog. */
	approveApiKey?: boolean;
};

export function createClaudeEnv(options: ClaudeEnvOptions): ClaudeEnv {
	const homeDir = mkdtempSync(path.join(tmpdir(), 'ccfleet-home-'));
	const configDir = mkdtempSync(path.join(tmpdir(), 'ccfleet-claude-'));
	const projects: Record<string, {hasTrustDialogAccepted: boolean}> = {};
	for (const dir of options.trustedDirs ?? []) {
		projects[path.resolve(dir)] = {hasTrustDialogAccepted: true};
	}

	// These keys skip onboarding (whose connectivity check ignores ANTHROPIC_BASE_URL and fails offline),
	// the custom-API-key question and the workspace trust dialog.
	const config: Record<string, unknown> = {
		hasCompletedOnboarding: true,
		lastOnboardingVersion: claudeVersion,
		theme: 'dark',
		projects,
	};
	if (options.approveApiKey ?? true) {
		// Claude Code stores exactly the key's last 20 characters as the approval.
		config['customApiKeyResponses'] = {approved: [mockApiKey.slice(-20)], rejected: []};
	}

	writeFileSync(path.join(configDir, '.claude.json'), JSON.stringify(config, null, 2));

	return {
		configDir,
		homeDir,
		env: {
			ANTHROPIC_BASE_URL: options.mockUrl,
			ANTHROPIC_API_KEY: mockApiKey,
			CLAUDE_CONFIG_DIR: configDir,
			HOME: homeDir,
			DISABLE_AUTOUPDATER: '1',
			DISABLE_TELEMETRY: '1',
			DISABLE_ERROR_REPORTING: '1',
			CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
		},
		cleanup() {
			rmSync(configDir, {recursive: true, force: true});
			rmSync(homeDir, {recursive: true, force: true});
		},
	};
}

const maxProjectDirLength = 200;

/**
 * The directory name Claude Code 2.1.330 uses under `$CLAUDE_CONFIG_DIR/projects/` for a cwd: every UTF-16
 * code unit outside [a-zA-Z0-9] becomes `-`; names over 200 characters are cut to 200 and suffixed with
 * `-<base36 of |Java-style string hash of the cwd|>`, as the binary does.
 */
export function mangleProjectDir(cwd: string): string {
	const mangled = cwd.replaceAll(/[^a-zA-Z\d]/g, '-');
	if (mangled.length <= maxProjectDirLength) {
		return mangled;
	}

	let hash = 0;
	for (let index = 0; index < cwd.length; index++) {
		hash = ((hash << 5) - hash + cwd.charCodeAt(index)) | 0;
	}

	return `${mangled.slice(0, maxProjectDirLength)}-${Math.abs(hash).toString(36)}`;
}

/** Where the transcript of a session started with `--session-id` in `cwd` will be written. */
export function transcriptPath(configDir: string, cwd: string, sessionId: string): string {
	return path.join(configDir, 'projects', mangleProjectDir(cwd), `${sessionId}.jsonl`);
}

const minimumBinaryBytes = 100 * 1024 * 1024;

/**
 * The real native binary. The npm package ships a small stub in its place until its postinstall hard-links
 * the platform binary over it, so a skipped install script must fail loudly rather than as a confusing test.
 */
export function claudeBinary(): string {
	const require = createRequire(import.meta.url);
	const binary = require.resolve('@anthropic-ai/claude-code/bin/claude.exe');
	const {size} = statSync(binary);
	if (size < minimumBinaryBytes) {
		throw new Error(`${binary} is only ${size} bytes, not the native Claude Code binary; its install script did not run. Run \`npm rebuild @anthropic-ai/claude-code\`.`);
	}

	return binary;
}

/** Alias under the name the test plan uses. */
export const seedClaudeConfig = createClaudeEnv;
