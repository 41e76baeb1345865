import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, expect, it} from 'vitest';
import {binPath} from '../helpers/ccfleet-process.js';

let home: string | undefined;
afterEach(() => {
	if (home) rmSync(home, {recursive: true, force: true});
});

it('refuses to start the core with a broken policy file, naming the file, the line and what is accepted', () => {
	home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-policy-start-'));
	writeFileSync(path.join(home, 'policy.json'), '{\n  "permissions": {\n    "allow": ["Bash(npm test:*)", "Bash()"]\n  }\n}\n');
	const result = spawnSync(process.execPath, [binPath, '--daemon'], {env: {...process.env, CCFLEET_HOME: home}, encoding: 'utf8', timeout: 30_000});
	expect(result.status).toBe(1);
	expect(result.stderr).toContain(`ccfleet: ${path.join(home, 'policy.json')}:3: in permissions.allow, "Bash()" has empty brackets`);
	expect(result.stderr).toContain('Accepted: a tool name');
	expect(result.stderr).not.toMatch(/\n\s+at /);
}, 40_000);
