import {spawn, type ChildProcess} from 'node:child_process';
import {readFileSync, statSync} from 'node:fs';
import {request} from 'node:https';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {binPath, createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// `ccfleet serve` and `ccfleet token` as a person runs them.
let sandbox: Sandbox;
let token: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
	sandbox = await createSandbox();
	token = (await sandbox.cli(['token', 'create', '--name', 'laptop'])).stdout.trim();
}, 60_000);

afterEach(async () => {
	for (const child of running.splice(0)) {
		child.kill('SIGTERM');
		await waitFor('ccfleet serve to stop', () => child.exitCode !== null || child.signalCode !== null, 30_000);
	}
});

afterAll(async () => {
	await sandbox?.cleanup();
});

/** Starts `ccfleet serve` and waits for the line with its URL; returns the URL and everything it printed so far. */
async function serve(args: string[]): Promise<{url: string; stderr: () => string}> {
	const child = spawn(process.execPath, [binPath, 'serve', ...args], {cwd: sandbox.project, env: {...process.env, ...sandbox.env}, stdio: ['ignore', 'ignore', 'pipe']});
	running.push(child);
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const url = await waitFor(
		`ccfleet serve to say its URL (so far: ${stderr})`,
		() => {
			if (child.exitCode !== null) throw new Error(`ccfleet serve exited: ${stderr}`);
			return /serving the fleet at (\S+?):\s/.exec(stderr)?.[1];
		},
		30_000,
	);
	return {url, stderr: () => stderr};
}

describe('ccfleet serve', () => {
	it('serves on loopback, says the URL and how to make a token and add it to Claude Code', async () => {
		const {url, stderr} = await serve(['--http', '127.0.0.1:0']);
		expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(stderr()).toContain('ccfleet token create --name');
		expect(stderr()).toContain(`claude mcp add --transport http ccfleet ${url}/mcp --header "Authorization: Bearer <token>"`);
		expect(stderr()).toContain(`open ${url}/#token=<token> once`);
		const answer = await fetch(`${url}/fleet`, {headers: {Authorization: `Bearer ${token}`}});
		expect(answer.status).toBe(200);
		// A second serve for the same state directory is refused, with the ways on.
		const second = await sandbox.cli(['serve', '--http', '127.0.0.1:0']);
		expect(second.exitCode).toBe(1);
		expect(second.stderr).toMatch(/already runs for .*ccfleet stop.*CCFLEET_HTTP=127\.0\.0\.1:0/s);
	});

	it('refuses plain HTTP beyond loopback, and says how to do it safely', async () => {
		const {exitCode, stderr} = await sandbox.cli(['serve', '--http', '0.0.0.0:0']);
		expect(exitCode).toBe(1);
		expect(stderr).toMatch(/reaches beyond this machine.*--tls-cert and --tls-key.*SSH tunnel or Tailscale.*--insecure/s);
	});

	it('serves plain HTTP beyond loopback with --insecure, warning on stderr', async () => {
		const {url, stderr} = await serve(['--http', '0.0.0.0:0', '--insecure']);
		expect(stderr()).toMatch(/WARNING: serving plain HTTP on 0\.0\.0\.0:\d+ without TLS \(--insecure\)/);
		const port = new URL(url).port;
		expect((await fetch(`http://127.0.0.1:${port}/fleet`, {headers: {Authorization: `Bearer ${token}`}})).status).toBe(200);
	});

	it('serves HTTPS beyond loopback with a certificate, without a warning, answering to --host-name', async () => {
		const key = path.join(sandbox.home, 'key.pem');
		const cert = path.join(sandbox.home, 'cert.pem');
		await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=fleet.test']);
		const {url, stderr} = await serve(['--http', '0.0.0.0:0', '--tls-cert', cert, '--tls-key', key, '--host-name', 'fleet.test']);
		expect(url).toMatch(/^https:/);
		expect(stderr()).not.toContain('WARNING');
		const port = Number(new URL(url).port);
		const get = (host: string) =>
			new Promise<number>((resolve, reject) => {
				const outgoing = request(
					{host: '127.0.0.1', port, path: '/fleet', headers: {Host: host, Authorization: `Bearer ${token}`}, ca: readFileSync(cert), servername: 'fleet.test'},
					answer => {
						answer.resume();
						resolve(answer.statusCode ?? 0);
					},
				);
				outgoing.on('error', reject);
				outgoing.end();
			});
		expect(await get(`fleet.test:${port}`)).toBe(200);
		expect(await get(`other.test:${port}`)).toBe(403);
	});

	it('says what is wrong with its flags and with CCFLEET_HTTP', async () => {
		const noAddress = await sandbox.cli(['serve']);
		expect(noAddress.exitCode).toBe(2);
		expect(noAddress.stderr).toContain('ccfleet serve needs an address: ccfleet serve --http 127.0.0.1:7777');
		const badAddress = await sandbox.cli(['serve', '--http', 'localhost']);
		expect(badAddress.stderr).toMatch(/--http is "localhost"; give host:port/);
		const halfTls = await sandbox.cli(['serve', '--http', '127.0.0.1:0', '--tls-cert', 'a.pem']);
		expect(halfTls.stderr).toContain('--tls-cert and --tls-key go together');
		const badEnv = await sandbox.cli(['status'], {env: {CCFLEET_HTTP: 'nowhere:port'}});
		expect(badEnv.exitCode).toBe(1);
		expect(badEnv.stderr).toMatch(/CCFLEET_HTTP is "nowhere:port"; give host:port/);
	});
});

describe('ccfleet token', () => {
	it('keeps only hashes, in a file only the user can read', async () => {
		const file = path.join(sandbox.home, 'http-tokens.json');
		expect(statSync(file).mode & 0o777).toBe(0o600);
		const text = readFileSync(file, 'utf8');
		expect(text).not.toContain(token);
		expect(token).toMatch(/^ccf_[\w-]{43}$/);
	});

	it('lists, refuses duplicates and bad names, revokes, and says what is wrong', async () => {
		const created = await sandbox.cli(['token', 'create', '--name', 'phone', '--read-only']);
		expect(created.exitCode).toBe(0);
		expect(created.stderr).toContain('read-only');
		const list = JSON.parse((await sandbox.cli(['token', 'list', '--json'])).stdout) as {name: string; readOnly: boolean}[];
		expect(list).toEqual(expect.arrayContaining([expect.objectContaining({name: 'laptop', readOnly: false}), expect.objectContaining({name: 'phone', readOnly: true})]));
		expect((await sandbox.cli(['token', 'list'])).stdout).toMatch(/phone\s+read-only/);
		const duplicate = await sandbox.cli(['token', 'create', '--name', 'phone']);
		expect(duplicate.exitCode).toBe(1);
		expect(duplicate.stderr).toContain('A token named phone exists');
		const badName = await sandbox.cli(['token', 'create', '--name', 'my phone']);
		expect(badName.stderr).toContain('Token name "my phone" is not accepted');
		expect((await sandbox.cli(['token', 'revoke', 'phone'])).exitCode).toBe(0);
		const again = await sandbox.cli(['token', 'revoke', 'phone']);
		expect(again.stderr).toContain('No token named phone');
		const unknown = await sandbox.cli(['token', 'rotate']);
		expect(unknown.exitCode).toBe(2);
		expect(unknown.stderr).toContain('use create, list or revoke');
	});
});
