import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

const sourceRoot = fileURLToPath(new URL('../../source/', import.meta.url));

/** Every package and built-in a module reaches through its static and dynamic imports, following ccfleet's own files. */
function reachedPackages(entry: string): Set<string> {
	const packages = new Set<string>();
	const seen = new Set<string>();
	const visit = (file: string) => {
		if (seen.has(file)) return;
		seen.add(file);
		const text = readFileSync(file, 'utf8');
		// `import type` is erased at build time and loads nothing.
		for (const match of text.matchAll(/(?:^import (?!type )[^'"]*?from |^export (?!type )[^'"]*?from |import\()\s*'([^']+)'/gm)) {
			const specifier = match[1]!;
			if (!specifier.startsWith('.')) {
				packages.add(specifier);
				continue;
			}
			const resolved = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
			visit([`${resolved}.ts`, `${resolved}.tsx`].find(candidate => safeExists(candidate))!);
		}
	};
	visit(entry);
	return packages;
}

function safeExists(file: string): boolean {
	try {
		readFileSync(file);
		return true;
	} catch {
		return false;
	}
}

describe('`ccfleet --daemon`, the core', () => {
	it('reaches no argument parser, React or Ink: only the core and what it runs with', () => {
		const reached = [...reachedPackages(path.join(sourceRoot, 'cli/daemon-main.ts'))];
		// The check sees what the dashboard loads, so their absence below means something.
		expect([...reachedPackages(path.join(sourceRoot, 'cli.tsx'))]).toEqual(expect.arrayContaining(['meow']));
		expect([...reachedPackages(path.join(sourceRoot, 'ui/run-dashboard.tsx'))]).toEqual(expect.arrayContaining(['ink', 'react']));
		expect(reached.filter(name => ['meow', 'ink', 'react', 'zustand', 'ink-testing-library'].includes(name))).toEqual([]);
		expect(reached).toEqual(expect.arrayContaining(['better-sqlite3', 'node-pty']));
	});
});

describe('`ccfleet mcp`, the stdio bridge', () => {
	it('reaches no MCP SDK, zod, argument parser, dashboard, database or pty: only node built-ins', () => {
		const reached = [...reachedPackages(path.join(sourceRoot, 'cli/mcp-main.ts'))];
		// The check sees what the full CLI loads, so an empty list above means something.
		expect([...reachedPackages(path.join(sourceRoot, 'cli/client.ts'))]).toContain('@modelcontextprotocol/sdk/client/index.js');
		expect(reached.filter(name => !name.startsWith('node:'))).toEqual([]);
		expect(reached).toContain('node:net');
	});

	describe('run as Claude Code runs it', () => {
		let sandbox: Sandbox;
		beforeAll(async () => {
			sandbox = await createSandbox();
		});
		afterAll(async () => {
			await sandbox.cleanup();
		});

		it('starts the daemon when none runs, says so on stderr, and pipes initialize to the core and its answer back', async () => {
			const initialize = {
				jsonrpc: '2.0',
				id: 1,
				method: 'initialize',
				params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'test', version: '0'}},
			};
			const {stdout, stderr, exitCode} = await sandbox.cli(['mcp'], {input: `${JSON.stringify(initialize)}\n`});
			expect(stderr).toContain('no core was running; started a background daemon');
			expect(exitCode, stderr).toBe(0);
			const answer = JSON.parse(stdout.split('\n')[0]!) as {id: number; result: {serverInfo: {name: string}}};
			expect(answer).toMatchObject({id: 1, result: {serverInfo: {name: 'ccfleet'}}});
			expect(sandbox.corePid()).toBeGreaterThan(0);
		});
	});
});
