import {accessSync, constants, statSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';

export type ClaudeBinary = {path: string; source: 'CCFLEET_CLAUDE_BIN' | 'PATH' | 'node_modules'};

/** The npm wrapper's placeholder is a ~500-byte script; the real binary is hundreds of MB. */
const STUB_MAX_BYTES = 64 * 1024;

/**
 * Which `claude` runs workers: CCFLEET_CLAUDE_BIN, else the first `claude` on PATH (the user's own install),
 * else the one bundled in node_modules. Throws with what to do when none is usable.
 */
export function findClaudeBinary(env: NodeJS.ProcessEnv = process.env): ClaudeBinary {
	const configured = env.CCFLEET_CLAUDE_BIN;
	if (configured) {
		if (!isExecutable(configured)) {
			throw new Error(`CCFLEET_CLAUDE_BIN is set to ${configured}, which is not an executable file. Point it at a claude binary or unset it.`);
		}
		return {path: path.resolve(configured), source: 'CCFLEET_CLAUDE_BIN'};
	}
	for (const dir of (env.PATH ?? '').split(path.delimiter)) {
		if (!dir) continue;
		const candidate = path.join(dir, 'claude');
		if (isExecutable(candidate) && !isNpmStub(candidate)) return {path: candidate, source: 'PATH'};
	}
	const bundled = bundledClaude();
	if (bundled) return {path: bundled, source: 'node_modules'};
	throw new Error(
		'No claude binary found: CCFLEET_CLAUDE_BIN is unset, there is no claude on PATH, and the bundled one is missing or not installed. ' +
			'Install Claude Code (npm install -g @anthropic-ai/claude-code) or run `npm rebuild @anthropic-ai/claude-code` in the ccfleet directory.',
	);
}

function bundledClaude(): string | undefined {
	try {
		const require = createRequire(import.meta.url);
		const wrapper = path.join(path.dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe');
		return isExecutable(wrapper) && !isNpmStub(wrapper) ? wrapper : undefined;
	} catch {
		return undefined;
	}
}

function isExecutable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return statSync(file).isFile();
	} catch {
		return false;
	}
}

/** The postinstall step did not run: the file still says "claude native binary not installed". */
function isNpmStub(file: string): boolean {
	try {
		const real = statSync(file);
		return real.size < STUB_MAX_BYTES && file.endsWith('claude.exe');
	} catch {
		return true;
	}
}
