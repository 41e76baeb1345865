import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {claudeBinary} from '../helpers/claude-env.js';
import {createHttpSandbox, type HttpSandbox} from './http-sandbox.js';

// A real `claude -p` main session with ccfleet added by `claude mcp add --transport http … --header "Authorization: …"`:
// it delegates, waits, and gets the result.
let http: HttpSandbox;

beforeAll(async () => {
	http = await createHttpSandbox({CCFLEET_MODE: 'headless'});
}, 60_000);

afterAll(async () => {
	await http?.cleanup();
});

async function runMainSession(session: string, prompt: string): Promise<string | undefined> {
	// As a user would: `claude mcp add --transport http` writes the entry, with the bearer header, into claude's own
	// user configuration; the session then finds it there.
	const added = await execa(
		claudeBinary(),
		['mcp', 'add', '--scope', 'user', '--transport', 'http', 'ccfleet', `${http.url}/mcp`, '--header', `Authorization: Bearer ${http.token}`],
		{cwd: session, env: http.sandbox.env, stdin: 'ignore', reject: false, timeout: 60_000},
	);
	expect(added.exitCode, added.stderr || added.stdout).toBe(0);
	const listed = await execa(claudeBinary(), ['mcp', 'get', 'ccfleet'], {cwd: session, env: http.sandbox.env, stdin: 'ignore', reject: false, timeout: 60_000});
	expect(listed.stdout).toContain('Type: http');
	const run = await execa(claudeBinary(), ['-p', '--output-format', 'stream-json', '--verbose', '--allowedTools', 'mcp__ccfleet', '--', prompt], {
		cwd: session,
		env: http.sandbox.env,
		stdin: 'ignore',
		reject: false,
		timeout: 90_000,
	});
	expect(run.exitCode, run.stderr).toBe(0);
	return run.stdout
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line) as {type: string; result?: string})
		.find(line => line.type === 'result')?.result;
}

describe('a main session on MCP over HTTP', () => {
	it('delegates a task and waits for its result; the task runs in the session’s directory, from its roots', async () => {
		const session = path.join(http.sandbox.project, 'remote-session');
		mkdirSync(session);
		const result = await runMainSession(
			session,
			'Hand it off. [[call:mcp__ccfleet__delegate_task:{"prompt":"Over the wire [[reply:done over http]]"}]] [[call:mcp__ccfleet__wait_for_task:{"ids":["$id"]}]]',
		);
		expect(result).toMatch(/"result":\s*"done over http"/);
		const {tasks} = (await http.call('GET', '/tasks')).json() as {tasks: TaskView[]};
		const task = tasks.find(candidate => candidate.prompt.startsWith('Over the wire'));
		expect(task).toMatchObject({cwd: session, status: 'completed', result: 'done over http'});
	}, 120_000);
});
