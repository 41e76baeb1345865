import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {afterEach, describe, expect, it} from 'vitest';
import {DAEMON_STOP_TIMEOUT_MS} from '../../source/cli/daemon.js';
import {loadConfig} from '../../source/config.js';
import {binPath} from '../helpers/ccfleet-process.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// The systemd unit and its environment file in contrib/ are what a person installs on each host: they must start a
// daemon the CLI accepts, with settings ccfleet reads, and the unit's stop must be the daemon's graceful stop.
const root = fileURLToPath(new URL('../../', import.meta.url));
const unitText = readFileSync(path.join(root, 'contrib/systemd/ccfleet.service'), 'utf8');
const envText = readFileSync(path.join(root, 'contrib/systemd/ccfleet.env'), 'utf8');
const fakeClaude = path.join(root, 'test/fixtures/fake-claude.sh');
/** Read by claude itself (the workers' login) or by Node (local time, so the daily budget's midnight), not by ccfleet's configuration. */
const READ_BY_OTHERS = new Set(['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'TZ']);

const postgres = usePostgres();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The unit's settings by section; a key may be given more than once (systemd appends). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
	const sections = new Map<string, Map<string, string[]>>();
	let current: Map<string, string[]> | undefined;
	for (const [index, raw] of text.split('\n').entries()) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
		const section = /^\[(\w+)\]$/.exec(line);
		if (section) {
			current = new Map();
			sections.set(section[1]!, current);
			continue;
		}
		const setting = /^(\w+)=(.*)$/.exec(line);
		if (!setting || !current) throw new Error(`ccfleet.service line ${index + 1} is neither a [Section] nor Key=value inside one: ${raw}`);
		current.set(setting[1]!, [...(current.get(setting[1]!) ?? []), setting[2]!]);
	}
	return sections;
}

/** The env file's KEY=value lines, and the ones shown commented out (`# KEY=value`) as examples to turn on. */
function parseEnvFile(text: string): {set: Record<string, string>; examples: Record<string, string>} {
	const set: Record<string, string> = {};
	const examples: Record<string, string> = {};
	for (const [index, raw] of text.split('\n').entries()) {
		const line = raw.trim();
		if (line === '') continue;
		const example = /^[#;]\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
		if (example) examples[example[1]!] = example[2]!;
		if (line.startsWith('#') || line.startsWith(';')) continue;
		const assignment = /^([A-Za-z_]\w*)=(.*)$/.exec(line);
		if (!assignment) throw new Error(`ccfleet.env line ${index + 1} is not KEY=value: ${raw}`);
		set[assignment[1]!] = assignment[2]!;
	}
	return {set, examples};
}

const service = parseUnit(unitText).get('Service');
const only = (key: string): string => {
	const values = service?.get(key) ?? [];
	if (values.length !== 1) throw new Error(`ccfleet.service should set ${key}= once in [Service], sets it ${values.length} times`);
	return values[0]!;
};

describe('contrib/systemd: the unit and its environment file', () => {
	it('sets what a service of a shared host needs, and systemd-analyze (where there is one) finds nothing wrong', () => {
		expect(only('User')).toMatch(/^\w+$/);
		expect(only('WorkingDirectory')).toBeTruthy();
		expect(only('EnvironmentFile')).toMatch(/\/ccfleet\.env$/);
		expect(only('Restart')).toBe('on-failure');
		// systemd must not kill the daemon before its own limit on a stop ends it.
		expect(Number(only('TimeoutStopSec')) * 1000).toBeGreaterThan(DAEMON_STOP_TIMEOUT_MS);
		const [command] = only('ExecStart').split(/\s+/);
		expect(path.isAbsolute(command!), 'systemd needs an absolute path').toBe(true);
		const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {bin: Record<string, string>};
		expect(Object.keys(packageJson.bin)).toContain(path.basename(command!));
		// The README shows the unit as shipped (its install comments aside).
		expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(unitText.slice(unitText.indexOf('[Unit]')).trimEnd());

		const analyze = spawnSync('systemd-analyze', ['--version'], {encoding: 'utf8'});
		if (analyze.error) return;
		// verify checks that ExecStart's program exists: this machine's is the repository's own.
		const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-unit-'));
		cleanups.push(() => rmSync(dir, {recursive: true, force: true}));
		writeFileSync(path.join(dir, 'ccfleet.service'), unitText.replace(`ExecStart=${command}`, `ExecStart=${binPath}`));
		const verify = spawnSync('systemd-analyze', ['verify', path.join(dir, 'ccfleet.service')], {encoding: 'utf8'});
		expect({status: verify.status, stderr: verify.stderr}).toEqual({status: 0, stderr: ''});
	});

	it('sets only variables ccfleet reads (or claude and Node do), with values it accepts', () => {
		const {set, examples} = parseEnvFile(envText);
		expect(Object.keys(set)).toEqual(expect.arrayContaining(['CCFLEET_DATABASE_URL', 'CCFLEET_HOST_ID', 'CCFLEET_HOST_LABELS', 'CCFLEET_LEASE_MS']));
		const read = new Set<string>();
		const values: Record<string, string> = {CCFLEET_HOME: '/tmp/ccfleet-unit-home', ...examples, ...set};
		const env = new Proxy(values, {
			get(target, key) {
				if (typeof key === 'string') read.add(key);
				return target[key as string];
			},
		});
		const config = loadConfig(env);
		expect(config.shared).toMatchObject({leaseMs: Number(set.CCFLEET_LEASE_MS)});
		expect(config.host).toEqual({id: set.CCFLEET_HOST_ID, labels: set.CCFLEET_HOST_LABELS!.split(',')});
		const unknown = Object.keys({...examples, ...set}).filter(name => !read.has(name) && !READ_BY_OTHERS.has(name));
		expect(unknown, 'variables in ccfleet.env that nothing reads').toEqual([]);
	});

	it("runs ExecStart's command with the env file on a shared database, and the unit's KillSignal stops the daemon cleanly", async () => {
		const {set} = parseEnvFile(envText);
		const [, ...args] = only('ExecStart').split(/\s+/);
		const signal = (service?.get('KillSignal')?.[0] ?? 'SIGTERM') as NodeJS.Signals;
		const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-unit-home-'));
		cleanups.push(() => rmSync(home, {recursive: true, force: true}));
		const url = await postgres().createDatabase();
		const env = {...process.env, ...set, CCFLEET_HOME: home, CCFLEET_DATABASE_URL: url, CCFLEET_CLAUDE_BIN: fakeClaude};
		const child = spawn(process.execPath, [binPath, ...args], {cwd: home, env, stdio: ['ignore', 'ignore', 'pipe']});
		let log = '';
		child.stderr.on('data', (chunk: Buffer) => {
			log += chunk.toString();
		});
		const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		cleanups.push(() => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		});
		await waitFor('the daemon to be ready', () => log.includes('ccfleet daemon ready') || child.exitCode !== null, 60_000);
		expect(child.exitCode, log).toBeNull();
		const pool = await openPool(url, {max: 1});
		cleanups.push(() => pool.end());
		const host = await waitFor(
			`host ${set.CCFLEET_HOST_ID} in the hosts table`,
			async () => (await pool.query<{id: string; labels: string[]}>('SELECT id, labels FROM hosts WHERE id = $1', [set.CCFLEET_HOST_ID])).rows[0],
		);
		expect(host).toEqual({id: set.CCFLEET_HOST_ID, labels: set.CCFLEET_HOST_LABELS!.split(',')});
		child.kill(signal);
		expect(await exited, log).toBe(0);
		expect(log).toMatch(/stopped/);
	}, 90_000);
});
