// ESLint for ccfleet: type-aware typescript-eslint over source/, test/, bench/ and scripts/, plus the
// import fences that keep DESIGN.md's layout true ("The rule": side effects live in adapters/ and at
// the edges; core/ is pure; ui/ never reaches adapters/ or the MCP server). Layout is Prettier's job
// (.prettierrc.json), so no rule here is about formatting.
//
// typescript-eslint needs TypeScript's JS API, which TypeScript 7 (the native tsc) does not have yet.
// package.json installs the side-by-side pair from the TypeScript 7.0 announcement: "typescript" is
// @typescript/typescript6 (the 6.0 API, used only by this linter) and "@typescript/native" is
// TypeScript 7, whose `tsc` type-checks and builds. Drop the pair once typescript-eslint supports 7.
import js from '@eslint/js';
import {defineConfig, globalIgnores} from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------
// Import fences. Each fence lists what files in one folder of source/ may not import. Relative
// imports are matched by how many `../` it takes to leave the folder, so one config entry is
// made per directory depth (a file's own depth decides which prefix leaves the folder).
// `import type` counts too: a type import still couples the two folders (ui gets its
// client/server types from source/protocol/, not from source/mcp/).
// Static imports and re-exports go through no-restricted-imports; import() through
// no-restricted-syntax with the same expressions.

const MAX_DEPTH = 4; // deepest folder level below a fenced folder that gets an entry

/** `../` repeated n times, as a regular-expression source. */
const up = n => String.raw`(?:\.\./){${n}}`;

/**
 * @typedef {object} Fence
 * @property {string} folder   folder under source/, e.g. 'core'
 * @property {(depth: number) => {regex: string, message: string}[]} forbid
 *   the forbidden specifiers for a file `depth` folders below source/<folder>/
 */

/** @type {Fence[]} */
const FENCES = [
	{
		// core/ is pure TypeScript: deterministic given its ports. An allow-list, so a new
		// dependency is a decision: add it here only if it does no I/O and keeps no global state.
		folder: 'core',
		forbid: depth => [
			{
				regex: String.raw`^(?!\.{1,2}/)(?!(?:zod(?:/.*)?|cron-parser|picomatch|(?:node:)?path(?:/posix)?)$)`,
				message: 'core/ may import only core/ files, zod, cron-parser, picomatch and node:path. Put I/O behind a port in core/ports/ and implement it in adapters/.',
			},
			{
				regex: `^${up(depth + 1)}`,
				message: 'core/ may not import from outside core/ (adapters, mcp, ui, cli, config, ...). The dependency goes the other way: they import core.',
			},
		],
	},
	{
		// adapters/ implement core's ports; the faces (cli, mcp, ui) sit above them.
		folder: 'adapters',
		forbid: depth => [
			{
				regex: `^${up(depth + 1)}(?:mcp|ui|cli)(?:/|\\.js$)`,
				message: 'adapters/ may not import the faces: source/mcp, source/ui, source/cli or cli.tsx.',
			},
			{
				regex: String.raw`^(?:ink|react|zustand)(?:/|$)`,
				message: 'adapters/ do no rendering: ink, react and zustand belong to ui/.',
			},
		],
	},
	{
		// ui/ is a client: it talks to the core through cli/client.js and shares types through
		// protocol/ and core/domain/; it never reaches into the server side or real I/O.
		folder: 'ui',
		forbid: depth => [
			{
				regex: `^${up(depth + 1)}(?:mcp|adapters)(?:/|$)`,
				message: 'ui/ may not import source/mcp or source/adapters. Client/server types live in source/protocol/; the connection is cli/client.js.',
			},
			{
				regex: String.raw`^(?:better-sqlite3|node-pty|@xterm/headless|systeminformation|execa|(?:node:)?child_process|@modelcontextprotocol/sdk/server)(?:/|$)`,
				message: 'ui/ does no I/O of its own: this package belongs to adapters/ (or mcp/ for the MCP server).',
			},
		],
	},
];

const TS_FILES = '*.{ts,tsx}';

const fenceConfigs = FENCES.flatMap(({folder, forbid}) =>
	Array.from({length: MAX_DEPTH + 1}, (_, depth) => {
		const patterns = forbid(depth);
		return {
			name: `ccfleet/fence/${folder}/depth-${depth}`,
			files: [`source/${folder}/${'*/'.repeat(depth)}${TS_FILES}`],
			rules: {
				'no-restricted-imports': ['error', {patterns: patterns.map(p => ({...p, caseSensitive: true}))}],
				'no-restricted-syntax': [
					'error',
					...patterns.map(({regex, message}) => ({
						// esquery regex literals cannot contain `/`; \x2F is the same character.
						selector: `ImportExpression > Literal.source[value=/${regex.replaceAll('/', String.raw`\x2F`)}/]`,
						message,
					})),
				],
			},
		};
	}),
);

// ---------------------------------------------------------------------------------------------

export default defineConfig(
	globalIgnores(['dist/', 'coverage/', '.tmp/', 'screenshots/', 'node_modules/', 'bin/', '*.config.{js,ts}']),
	{
		name: 'ccfleet/typescript',
		files: ['{source,test,bench,scripts}/**/*.{ts,tsx}'],
		extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
		languageOptions: {
			parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname},
		},
		linterOptions: {reportUnusedDisableDirectives: 'error'},
		rules: {
			// Kept strict because they catch real bugs: a promise nobody awaits or handles, an async
			// callback where a void one is expected (Ink's useInput, event handlers), awaiting a
			// non-promise, a switch that misses a member of a union.
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
			'@typescript-eslint/await-thenable': 'error',
			'@typescript-eslint/switch-exhaustiveness-check': ['error', {considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false}],
			// Returning a promise from inside try/catch without await skips the catch.
			'@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
			'@typescript-eslint/no-unused-vars': [
				'error',
				{
					argsIgnorePattern: '^_',
					varsIgnorePattern: '^_',
					caughtErrorsIgnorePattern: '^_',
					destructuredArrayIgnorePattern: '^_',
					ignoreRestSiblings: true,
				},
			],

			// Off: an async function without await is how this code implements Promise-returning
			// ports and interfaces (fakes, MCP Transport.start); it also turns a throw into a
			// rejection on purpose. Demanding `Promise.resolve()` plumbing would be churn, not a fix.
			'@typescript-eslint/require-await': 'off',
			// Off: a terminal program matches ANSI escapes (\x1b, \x07) in regular expressions on purpose.
			'no-control-regex': 'off',
		},
	},
	{
		name: 'ccfleet/source',
		files: ['source/**/*.{ts,tsx}'],
		ignores: ['source/cli.tsx'],
		rules: {
			// Output goes through the Logger port, Ink, or the CLI's stdout helpers; only the
			// composition root prints directly. bench/ and scripts/ print their results.
			'no-console': 'error',
		},
	},
	{
		name: 'ccfleet/test',
		files: ['test/**/*.{ts,tsx}'],
		rules: {
			// Off in tests only: vitest's asymmetric matchers (expect.any, expect.stringContaining)
			// are typed `any`, so every `toEqual({x: expect.any(String)})` would be reported.
			'@typescript-eslint/no-unsafe-assignment': 'off',
		},
	},
	...fenceConfigs,
);
