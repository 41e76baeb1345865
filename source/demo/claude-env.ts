// A throwaway Claude Code config and HOME pointed at the mock API, for tests and for `ccfleet --demo`: the real
// binary never touches ~/.claude, never reaches the network and never stops at a first-run dialog.
import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import path from 'node:path';

// The folder name claude gives a cwd is computed once, by the adapter that reads transcripts; the demo and the
// tests that look for a transcript must agree with it.
export {transcriptPath} from '../adapters/claude/transcript.js';

const claudeVersion = '2.1.330';
const mockApiKey = 'sk-ant-mock-0123456789abcdefghij';
/** Shaped like a `claude setup-token` token; claude sends it as a bearer token and the mock never checks it. */
const mockOauthToken = 'sk-ant-oat01-fake';

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
	/**
	 * How claude logs in: with an API key (the default), or with a subscription's OAuth token
	 * (CLAUDE_CODE_OAUTH_TOKEN, no ANTHROPIC_API_KEY), the path on which claude reports usage limits.
	 */
	auth?: 'api-key' | 'subscription';
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
	const isSubscription = options.auth === 'subscription';
	if (!isSubscription && (options.approveApiKey ?? true)) {
		// Claude Code stores exactly the key's last 20 characters as the approval.
		config['customApiKeyResponses'] = {approved: [mockApiKey.slice(-20)], rejected: []};
	}

	writeFileSync(path.join(configDir, '.claude.json'), JSON.stringify(config, null, 2));

	return {
		configDir,
		homeDir,
		env: {
			ANTHROPIC_BASE_URL: options.mockUrl,
			...(isSubscription ? {CLAUDE_CODE_OAUTH_TOKEN: mockOauthToken} : {ANTHROPIC_API_KEY: mockApiKey}),
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
