import {mkdtempSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, expect, it} from 'vitest';
import {token} from '../../source/cli/token-command.js';
import {loadConfig} from '../../source/config.js';
import {tokenFilePath} from '../../source/http/token-store.js';

// `ccfleet token create` in this process: what it prints, where, and the address it gives out.
const homes: string[] = [];

afterEach(() => {
	for (const home of homes.splice(0)) rmSync(home, {recursive: true, force: true});
});

function create(env: Record<string, string>): {secret: string; notes: string; home: string} {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-token-'));
	homes.push(home);
	let secret = '';
	let notes = '';
	const code = token(loadConfig({CCFLEET_HOME: home, ...env}), ['create'], {name: 'phone'}, {out: text => (secret += text)}, {out: text => (notes += text)});
	expect(code).toBe(0);
	return {secret, notes, home};
}

it('prints the token alone on stdout, keeps only its hash in a 0600 file, and never puts it in the advice', () => {
	const {secret, notes, home} = create({});
	expect(secret).toMatch(/^ccf_[\w-]{43}$/);
	expect(notes).not.toContain(secret);
	expect(statSync(tokenFilePath(home)).mode & 0o777).toBe(0o600);
	expect(notes).toContain('claude mcp add --transport http ccfleet http://127.0.0.1:7777/mcp');
	expect(notes).toContain('open http://127.0.0.1:7777/#token=<token> once');
});

it('gives out the address clients reach: the first --host-name when serving on every interface, https with TLS', () => {
	const {notes} = create({CCFLEET_HTTP: '0.0.0.0:7443', CCFLEET_HTTP_HOST_NAMES: 'fleet.tailnet.ts.net,other', CCFLEET_TLS_CERT: '/c.pem', CCFLEET_TLS_KEY: '/k.pem'});
	expect(notes).toContain('https://fleet.tailnet.ts.net:7443/mcp');
	expect(notes).not.toContain('0.0.0.0');
	expect(create({CCFLEET_HTTP: '[::1]:7777'}).notes).toContain('http://[::1]:7777/fleet');
});
