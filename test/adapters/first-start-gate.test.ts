import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {claudeGlobalConfigPath, firstStartGate} from '../../source/adapters/claude/first-start-gate.js';
import {HeadlessWorkerDriver} from '../../source/adapters/claude/headless-driver.js';
import {systemClock} from '../../source/adapters/system/system-clock.js';
import {createFleet} from '../../source/core/fleet.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';
import {startMockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv} from '../helpers/claude-env.js';
import {waitFor} from '../helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempConfig(content: Record<string, unknown> | undefined): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-gate-'));
	cleanups.push(() => rmSync(dir, {recursive: true, force: true}));
	const file = path.join(dir, '.claude.json');
	if (content) writeFileSync(file, JSON.stringify(content));
	return file;
}

describe('the first-start gate', () => {
	it('finds the config under CLAUDE_CONFIG_DIR, else in HOME', () => {
		expect(claudeGlobalConfigPath({CLAUDE_CONFIG_DIR: '/c', HOME: '/h'})).toBe('/c/.claude.json');
		expect(claudeGlobalConfigPath({HOME: '/h'})).toBe('/h/.claude.json');
	});

	it('lets every start go at once when claude has run with the config before', () => {
		const gate = firstStartGate(tempConfig({userID: 'abc', hasCompletedOnboarding: true}));
		expect(gate.check({running: 0, now: 0})).toEqual({admit: true});
		expect(gate.check({running: 29, now: 0})).toEqual({admit: true});
	});

	it('in a config without an identity, lets one start go and holds the rest until that one has written it', () => {
		const file = tempConfig({hasCompletedOnboarding: true});
		const gate = firstStartGate(file);
		expect(gate.check({running: 0, now: 1_000})).toEqual({admit: true});
		const held = gate.check({running: 1, now: 1_000});
		expect(held).toMatchObject({admit: false, until: 1_200});
		expect(held.admit === false && held.reason).toContain('writes its identity');
		writeFileSync(file, JSON.stringify({hasCompletedOnboarding: true, userID: 'minted'}));
		expect(gate.check({running: 1, now: 1_200})).toEqual({admit: true});
		// Open for good: a later rewrite of the file is not read again.
		writeFileSync(file, '{');
		expect(gate.check({running: 5, now: 2_000})).toEqual({admit: true});
	});

	it('opens when the first worker ended without writing an identity (a claude that keeps no config)', () => {
		const gate = firstStartGate(tempConfig(undefined));
		expect(gate.check({running: 0, now: 0}).admit).toBe(true);
		expect(gate.check({running: 1, now: 0}).admit).toBe(false);
		expect(gate.check({running: 0, now: 50}).admit).toBe(true);
		expect(gate.check({running: 7, now: 60}).admit).toBe(true);
	});

	it('opens when the first worker, still running, has written no identity 20 s after it started (a config kept elsewhere)', () => {
		const gate = firstStartGate(tempConfig(undefined));
		expect(gate.check({running: 0, now: 1_000}).admit).toBe(true);
		expect(gate.check({running: 1, now: 20_999}).admit).toBe(false);
		expect(gate.check({running: 1, now: 21_000}).admit).toBe(true);
		expect(gate.check({running: 2, now: 21_001}).admit).toBe(true);
	});

	it('with the real claude and a fresh config, eight tasks at once all run as one installation (one device id)', async () => {
		const mock = await startMockApi();
		cleanups.push(() => mock.close());
		const cwd = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-gate-cwd-'));
		const claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [cwd]});
		cleanups.push(() => {
			claudeEnv.cleanup();
			rmSync(cwd, {recursive: true, force: true});
		});
		const configPath = claudeGlobalConfigPath(claudeEnv.env);
		// The machine's load is left out (a fake monitor), and there is no stagger: only the gate keeps the first
		// start-ups apart. Without it, starts this close mint several identities (docs/research/concurrent-starts.md).
		const fleet = createFleet(
			{
				store: new MemoryTaskStore(),
				output: new MemoryOutputLog(),
				driver: new HeadlessWorkerDriver({claudePath: claudeBinary(), env: {...process.env, ...claudeEnv.env}, killGraceMs: 1_000}),
				clock: systemClock,
				system: new FakeSystemMonitor(),
				ids: new SequentialIds(),
				defer: run => setImmediate(run),
				admissionPolicies: [firstStartGate(configPath)],
			},
			{staggerMs: 0, maxWorkers: 8},
		);
		await fleet.start();
		cleanups.push(() => fleet.stop());
		const ids = Array.from({length: 8}, (_, i) => fleet.submit({prompt: `hello ${i} [[reply:hi ${i}]]`, cwd, mode: 'headless'}).id);
		await waitFor('all eight tasks to end', () => ids.every(id => fleet.get(id).endedAt !== undefined), 120_000);
		expect(ids.map(id => fleet.get(id).status)).toEqual(Array(8).fill('completed'));
		// Each request names the installation's device id; a start that raced the first one minted its own.
		const deviceIds = new Set(mock.mainRequests().map(request => /device_id\\?":\\?"([0-9a-f]+)/.exec(JSON.stringify(request.body))?.[1]));
		const config = JSON.parse(readFileSync(configPath, 'utf8')) as {userID?: string};
		expect([...deviceIds]).toEqual([config.userID]);
	}, 180_000);
});
