import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {doctor, runDoctorChecks, type CheckResult} from '../../source/cli/doctor-command.js';
import {loadConfig, type Config} from '../../source/config.js';
import {listenOnSocket} from '../../source/mcp/socket-server.js';
import {binPath} from '../helpers/ccfleet-process.js';
import {claudeBinary} from '../helpers/claude-env.js';

let home: string;
let config: Config;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
	home = mkdtempSync(path.join(os.tmpdir(), 'ccf-doctor-'));
	env = {PATH: process.env.PATH, HOME: home, CCFLEET_HOME: home, CCFLEET_CLAUDE_BIN: claudeBinary(), ANTHROPIC_API_KEY: 'sk-ant-test'};
	config = loadConfig(env);
});

afterEach(() => {
	chmodSync(home, 0o700);
	rmSync(home, {recursive: true, force: true});
});

const byName = (results: CheckResult[]) => Object.fromEntries(results.map(result => [result.name, result]));

it('passes a healthy state directory with a real database, a login and the bundled claude', async () => {
	new SqliteTaskStore(config.databasePath).close();
	const checks = byName(await runDoctorChecks(config, env));
	expect(Object.keys(checks)).toEqual(['claude', 'login', 'state', 'database', 'socket', 'disk', 'resources']);
	expect(checks['claude']).toMatchObject({status: 'ok', detail: expect.stringMatching(/^\d+\.\d+\.\d+ at /)});
	expect(checks['login']).toMatchObject({status: 'ok', detail: 'an API key (ANTHROPIC_API_KEY)'});
	expect(checks['state']!.status).toBe('ok');
	expect(checks['database']).toMatchObject({status: 'ok', detail: expect.stringMatching(/integrity ok, schema version \d+/)});
	expect(checks['socket']).toMatchObject({status: 'ok', detail: expect.stringMatching(/no core is running/)});
	expect(checks['disk']!.status).not.toBe('fail');
	let printed = '';
	expect(await doctor(config, {}, {env, write: text => (printed += text)})).toBe(0);
	expect(printed).toMatch(/^ok {4}claude/m);
});

it('fails a corrupt database, state others may read and a missing login, each with what to do', async () => {
	writeFileSync(config.databasePath, 'this is not a SQLite database, whatever its name says; '.repeat(4));
	chmodSync(home, 0o755);
	const checks = byName(await runDoctorChecks(config, {...env, ANTHROPIC_API_KEY: undefined}));
	expect(checks['database']).toMatchObject({
		status: 'fail',
		detail: expect.stringMatching(/is damaged: file is not a database/),
		next: expect.stringMatching(/^Stop ccfleet, then move it away \(mv /),
	});
	expect(checks['state']).toMatchObject({
		status: 'fail',
		detail: expect.stringContaining(`${home} (0755)`),
		next: `Run \`chmod -R go-rwx ${home}\`; ccfleet also makes them private at its next start.`,
	});
	expect(checks['login']).toMatchObject({status: 'fail', next: expect.stringMatching(/ANTHROPIC_API_KEY/)});
	let printed = '';
	expect(await doctor(config, {}, {env: {...env, ANTHROPIC_API_KEY: undefined}, write: text => (printed += text)})).toBe(1);
	expect(printed).toMatch(/^fail {2}database .*\n {2,}→ Stop ccfleet/m);
	expect(printed).toMatch(/check\(s\) failed; fix them as shown above\.\n$/);
});

it('fails a claude that exits at start, and a CCFLEET_CLAUDE_BIN that is not executable', async () => {
	const broken = path.join(home, 'claude-broken');
	writeFileSync(broken, '#!/bin/sh\necho "error: cannot load the runtime" >&2\nexit 3\n', {mode: 0o755});
	expect(byName(await runDoctorChecks(config, {...env, CCFLEET_CLAUDE_BIN: broken}))['claude']).toMatchObject({
		status: 'fail',
		detail: expect.stringMatching(/does not run: error: cannot load the runtime/),
		next: expect.stringMatching(/CCFLEET_CLAUDE_BIN/),
	});
	expect(byName(await runDoctorChecks(config, {...env, CCFLEET_CLAUDE_BIN: path.join(home, 'nothing')}))['claude']).toMatchObject({
		status: 'fail',
		next: expect.stringMatching(/not an executable file/),
	});
});

it('says a core answers on the socket', async () => {
	const listener = await listenOnSocket(config.socketPath, socket => socket.destroy());
	try {
		expect(byName(await runDoctorChecks(config, env))['socket']).toMatchObject({status: 'ok', detail: expect.stringMatching(/^a core answers on /)});
	} finally {
		await listener.close();
	}
});

it('fails a state directory whose socket path is too long for a Unix socket', async () => {
	const deep = loadConfig({...env, CCFLEET_HOME: path.join(home, 'x'.repeat(120))});
	expect(byName(await runDoctorChecks(deep, env))['socket']).toMatchObject({
		status: 'fail',
		detail: expect.stringMatching(/longer than/),
		next: 'Point CCFLEET_HOME at a shorter path.',
	});
});

it('`ccfleet doctor --json` exits 1 on a failing check and prints every check', async () => {
	mkdirSync(path.join(home, 'logs'), {mode: 0o700});
	writeFileSync(path.join(home, 'logs', 'ccfleet.log'), '', {mode: 0o644});
	chmodSync(path.join(home, 'logs', 'ccfleet.log'), 0o644);
	const result = await execa(process.execPath, [binPath, 'doctor', '--json'], {
		env: {...env, CCFLEET_CLAUDE_BIN: claudeBinary()},
		extendEnv: false,
		reject: false,
		timeout: 60_000,
	});
	expect(result.exitCode).toBe(1);
	const checks = byName(JSON.parse(result.stdout) as CheckResult[]);
	expect(checks['state']).toMatchObject({status: 'fail', detail: expect.stringContaining('ccfleet.log (0644)')});
	expect(checks['claude']!.status).toBe('ok');
}, 90_000);
