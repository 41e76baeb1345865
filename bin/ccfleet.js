#!/usr/bin/env node
// Runs the compiled build in dist/ when it is at least as new as every file in source/ (`npm run build` makes it;
// `npm install` runs that). Otherwise — a source file was edited since — it runs the TypeScript sources through
// tsx, so what runs is never stale. The build starts in a third of the time and takes 30 MB less memory.
import {existsSync, readdirSync, statSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}dist/.build-stamp`;

function newestIn(directory) {
	let newest = 0;
	for (const entry of readdirSync(directory, {withFileTypes: true})) {
		const path = `${directory}/${entry.name}`;
		newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
	}
	return newest;
}

// `ccfleet mcp` alone is the stdio bridge Claude Code keeps running all session: it goes straight to its own small
// entry, which loads no argument parser, MCP SDK or dashboard (about a third of the memory, a fraction of the start).
// `ccfleet --daemon` alone is the core: its entry loads no argument parser, React or Ink.
const ENTRIES = {mcp: 'cli/mcp-main', '--daemon': 'cli/daemon-main'};
const entry = (process.argv.length === 3 && ENTRIES[process.argv[2]]) || 'cli';

if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestIn(`${root}source`)) {
	await import(`../dist/${entry}.js`);
} else {
	const {register} = await import('tsx/esm/api');
	// tsx would otherwise look for a tsconfig in the user's working directory and compile the JSX wrongly.
	register({tsconfig: `${root}tsconfig.json`});
	await import(entry === 'cli' ? '../source/cli.tsx' : `../source/${entry}.ts`);
}
