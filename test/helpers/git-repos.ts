import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import type {FinishPlan} from '../../source/core/ports/workspace.js';

/** A committer for the test's own commits, whatever the machine's git is configured with. */
export const GIT_IDENTITY = {GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'};

export type TestRepository = {repo: string; git: (...args: string[]) => Promise<string>};

/** A real repository on branch main with one commit (a.txt), optionally with a real bare repository as its origin. */
export async function testRepository({remote = false}: {remote?: boolean} = {}): Promise<TestRepository & {origin?: string}> {
	const repo = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-repo-'));
	const git = async (...args: string[]) => String((await execa('git', args, {cwd: repo, env: GIT_IDENTITY})).stdout);
	await git('init', '-q', '-b', 'main');
	writeFileSync(path.join(repo, 'a.txt'), 'one\n');
	await git('add', '.');
	await git('commit', '-qm', 'first');
	if (!remote) return {repo, git};
	const origin = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-origin-'));
	await execa('git', ['init', '-q', '--bare', '-b', 'main', origin]);
	await git('remote', 'add', 'origin', origin);
	await git('push', '-q', '-u', 'origin', 'main');
	return {repo, git, origin};
}

/** A FinishPlan for the adapter, with its log lines collected. */
export function finishPlan(plan: Omit<FinishPlan, 'log' | 'workdir'> & {workdir?: string}): FinishPlan & {lines: string[]} {
	const lines: string[] = [];
	return {workdir: '/', ...plan, lines, log: line => lines.push(line)};
}

/**
 * A stand-in for GitHub's `gh` on PATH (no GitHub is reachable here): `gh auth status` succeeds unless the file
 * `logged-out` exists beside it; `gh pr create` records its arguments and the body it read from stdin, one JSON
 * line per call in `calls.jsonl`, and prints a pull request URL as gh does.
 */
export function ghStandIn(): {bin: string; callsFile: string; logOut(): void} {
	const bin = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-gh-'));
	mkdirSync(bin, {recursive: true});
	const callsFile = path.join(bin, 'calls.jsonl');
	const script = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
if (args[0] === 'auth' && args[1] === 'status') {
	if (fs.existsSync(path.join(${JSON.stringify(bin)}, 'logged-out'))) { console.error('You are not logged into any GitHub hosts. To log in, run: gh auth login'); process.exit(1); }
	console.log('github.com\\n  ✓ Logged in to github.com account tester');
	process.exit(0);
}
if (args[0] === 'pr' && args[1] === 'create') {
	const body = fs.readFileSync(0, 'utf8');
	const n = fs.existsSync(${JSON.stringify(callsFile)}) ? fs.readFileSync(${JSON.stringify(callsFile)}, 'utf8').split('\\n').filter(Boolean).length + 1 : 1;
	fs.appendFileSync(${JSON.stringify(callsFile)}, JSON.stringify({args, body, cwd: process.cwd()}) + '\\n');
	console.log('https://github.com/example/project/pull/' + n);
	process.exit(0);
}
console.error('gh stand-in: unexpected call ' + args.join(' '));
process.exit(2);
`;
	writeFileSync(path.join(bin, 'gh'), script);
	chmodSync(path.join(bin, 'gh'), 0o755);
	return {bin, callsFile, logOut: () => writeFileSync(path.join(bin, 'logged-out'), '')};
}
