import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {CliError} from '../../source/cli/client.js';
import {specFromFlags, taskFlagsHelp} from '../../source/cli/task-flags.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-placement-flags-'));

describe('--host and --label, made from the task spec', () => {
	it('are in the help and go into the spec', () => {
		expect(taskFlagsHelp()).toMatch(/--host <text>\s+Run only on this host/);
		expect(taskFlagsHelp()).toMatch(/--label <text>\s+Run only on a host with this label/);
		expect(specFromFlags({cwd: dir, host: 'build-1', label: 'big-ram'}, 'x')).toEqual({prompt: 'x', cwd: dir, host: 'build-1', label: 'big-ram'});
	});

	it('refuses a name no host could have, saying what is accepted', () => {
		const run = () => specFromFlags({cwd: dir, label: 'big ram'}, 'x');
		expect(run).toThrow(CliError);
		expect(run).toThrow(
			'The label must be a host label: 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. "big-ram"), got "big ram".',
		);
	});
});
