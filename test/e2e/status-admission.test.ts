import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// `ccfleet status` through a real daemon: what holds the queue comes from the core's own admission, not a fake.
// The fake claude is enough here (the line is about the fleet, not the model), and the ceiling of one worker holds
// the second task whatever the machine's load.
const fakeClaude = fileURLToPath(new URL('../fixtures/fake-claude.sh', import.meta.url));
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({CCFLEET_CLAUDE_BIN: fakeClaude, CCFLEET_MAX_WORKERS: '1'});
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

describe("ccfleet status's admission lines", () => {
	it('says under the table what holds the queue, how many workers run of the ceiling and what the machine has left', async () => {
		for (const name of ['first', 'second']) {
			const delegated = await sandbox.cli(['delegate', '--cwd', sandbox.project, `Wait ${name} [[fake:sleep=120]]`]);
			expect(delegated.exitCode).toBe(0);
		}
		const table = await waitFor(
			'the second task to be held',
			async () => {
				const {stdout} = await sandbox.cli(['status']);
				return /1 running/.test(stdout) && stdout.includes('queue held:') ? stdout : undefined;
			},
			30_000,
			200,
		);
		const lines = table.split('\n');
		const counts = lines.findIndex(line => /^1 queued, 1 running$/.test(line));
		expect(counts).toBeGreaterThan(0);
		expect(lines[counts + 1]).toMatch(/^queue held: .*CCFLEET_MAX_WORKERS 1/);
		expect(lines[counts + 2]).toMatch(
			/^workers: 1 running of at most 1( using \d+ MB)?, room for 0 more · memory [\d.]+ GB free of [\d.]+ GB \(reserve 1\.0 GB\) · CPU \d+ % \(threshold 100 %\)$/,
		);
		expect(lines).toHaveLength(counts + 3);
	});
});
