import {randomUUID} from 'node:crypto';
import {mkdtempSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HookServer, type HookHandler} from '../../source/adapters/claude/hook-server.js';
import {PtyWorkerDriver} from '../../source/adapters/claude/pty-driver.js';
import {workerProcesses} from '../../source/adapters/system/process-tree.js';
import {startMockApi, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from '../helpers/claude-env.js';
import {RecordingListener} from '../helpers/recording-listener.js';
import {waitFor} from '../helpers/wait-for.js';

// The per-worker hook secret must not be readable by another local user: `ps` shows every process's command line to
// everyone, so it may be on none of them (claude's, nor any tool's it starts); it reaches claude in its environment,
// which only its own user can read. Proven with the real claude 2.1.330 on the mock API, whose http hooks still work.

/** A hook listener that also tells the test each worker's secret. */
class SecretKeepingHookServer extends HookServer {
	readonly secrets: string[] = [];

	override register(workerId: string, handler: HookHandler): {url: string; secret: string; unregister: () => void} {
		const registration = super.register(workerId, handler);
		this.secrets.push(registration.secret);
		return registration;
	}
}

let mock: MockApi;
let claudeEnv: ClaudeEnv;
let trusted: string;
const hooks = new SecretKeepingHookServer();

beforeAll(async () => {
	mock = await startMockApi();
	trusted = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-secret-'));
	claudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [trusted]});
	await hooks.listen();
});

afterAll(async () => {
	await hooks.close();
	await mock.close();
	claudeEnv.cleanup();
});

function commandLine(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
	} catch {
		return '';
	}
}

/** What any local user can do: read the hook URL off the worker's command line and post an event to it. */
async function forge(url: string, headers: Record<string, string>): Promise<number> {
	const response = await fetch(url, {
		method: 'POST',
		headers: {'content-type': 'application/json', ...headers},
		body: JSON.stringify({hook_event_name: 'Stop', last_assistant_message: 'FORGED RESULT'}),
	});
	return response.status;
}

describe('the hook secret with the real claude', () => {
	it('is on no command line of the worker or its tools, forged hook calls are refused, and the real hooks work', async () => {
		const driver = new PtyWorkerDriver({
			claudePath: claudeBinary(),
			env: {...process.env, ...claudeEnv.env},
			hooks,
			trustWorkspace: true,
			approveApiKey: true,
			killGraceMs: 1_000,
		});
		const listener = new RecordingListener();
		const taskId = `secret-${randomUUID().slice(0, 8)}`;
		const handle = driver.start(
			{taskId, prompt: 'Run it [[tool:bash:tail -f /dev/null]]', cwd: trusted, sessionId: randomUUID(), resume: false, permissionMode: 'default', mode: 'pty'},
			listener,
		);
		const secret = hooks.secrets.at(-1)!;
		// The permission question comes through the PermissionRequest http hook: claude sent the right secret.
		await waitFor('the permission question, through the hooks', () => listener.states.includes('needs_input'), 60_000);
		expect(handle.answer({behavior: 'allow'})).toBe(true);
		const leader = listener.process!.pid;
		await waitFor('the tool to run', () => workerProcesses(leader, taskId).some(pid => commandLine(pid).includes('tail -f /dev/null')), 30_000);

		const processes = [leader, ...workerProcesses(leader, taskId)];
		expect(processes.length).toBeGreaterThan(1);
		for (const pid of processes) expect(commandLine(pid), `the command line of ${pid}`).not.toContain(secret);
		// The environment, which holds it, is the owner's alone.
		expect(statSync(`/proc/${leader}/environ`).mode & 0o077).toBe(0);
		expect(readFileSync(`/proc/${leader}/environ`, 'utf8')).toContain(secret);

		const url = /"url":"([^"]+)\/Stop"/.exec(commandLine(leader))?.[1];
		expect(url, 'the hook URL on the command line').toBeDefined();
		const statuses = [
			await forge(`${url}/Stop`, {}),
			await forge(`${url}/Stop`, {'X-Ccfleet-Secret': 'not-the-secret'}),
			await forge(`${url}/Stop`, {'X-Ccfleet-Secret': '${CCFLEET_HOOK_SECRET}'}),
		];
		expect(statuses).toEqual([403, 403, 403]);

		await handle.stop('test over');
		const exit = await waitFor('exit', () => listener.exit, 20_000);
		// Not one forged event was taken: no result, nothing of it in the output.
		expect(exit.result).toBeUndefined();
		expect(listener.output).not.toContain('FORGED');
	}, 120_000);
});
