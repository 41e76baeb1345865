import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa} from 'execa';
import {startMockApi, type MockApi} from '../fixtures/mock-anthropic-api.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from './claude-env.js';
import {waitFor} from './wait-for.js';

export const binPath = fileURLToPath(new URL('../../bin/ccfleet.js', import.meta.url));

/** A ccfleet state directory, a trusted project folder, the mock API and the env that ties them together. */
export type Sandbox = {
	home: string;
	project: string;
	mock: MockApi;
	claude: ClaudeEnv;
	env: Record<string, string>;
	/** Runs the ccfleet CLI as a user would. */
	cli(args: string[], options?: {input?: string; env?: Record<string, string>}): Promise<{stdout: string; stderr: string; exitCode: number}>;
	/** Starts `ccfleet --daemon` in the foreground of the test and waits for its socket. */
	startDaemon(env?: Record<string, string>): Promise<ChildProcess>;
	/** The pid in the state lock, i.e. the core that runs now. */
	corePid(): number | undefined;
	cleanup(): Promise<void>;
};

/** `auth: 'subscription'`: claude logged in with a (fake) subscription token instead of an API key; only then does it report usage limits. */
export async function createSandbox(extraEnv: Record<string, string> = {}, options: {auth?: 'api-key' | 'subscription'} = {}): Promise<Sandbox> {
	const mock = await startMockApi();
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-home-'));
	const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-project-'));
	const claude = createClaudeEnv({mockUrl: mock.url, trustedDirs: [project], ...(options.auth ? {auth: options.auth} : {})});
	const env: Record<string, string> = {
		...claude.env,
		CCFLEET_HOME: home,
		CCFLEET_CLAUDE_BIN: claudeBinary(),
		CCFLEET_STAGGER_MS: '100',
		// These tests set their ceiling (CCFLEET_MAX_WORKERS) and need it reached on a busy shared machine: CPU load from
		// other test files must not hold their workers. Admission by CPU is proven on the fake monitor
		// (test/core/resource-admission.test.ts); memory admission stays on here.
		CCFLEET_CPU_THRESHOLD: '100',
		...extraEnv,
	};
	const daemons: ChildProcess[] = [];
	const sandbox: Sandbox = {
		home,
		project,
		mock,
		claude,
		env,
		async cli(args, options = {}) {
			const result = await execa(process.execPath, [binPath, ...args], {
				cwd: project,
				env: {...env, ...options.env},
				input: options.input ?? '',
				reject: false,
				timeout: 120_000,
			});
			return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1};
		},
		async startDaemon(daemonEnv = {}) {
			const child = spawn(process.execPath, [binPath, '--daemon'], {cwd: project, env: {...process.env, ...env, ...daemonEnv}, stdio: ['ignore', 'ignore', 'pipe']});
			let log = '';
			child.stderr.on('data', (chunk: Buffer) => {
				log += chunk.toString();
			});
			daemons.push(child);
			await waitFor(`the daemon to be ready (log so far: ${log})`, () => log.includes('ccfleet daemon ready') || child.exitCode !== null, 30_000);
			if (child.exitCode !== null) throw new Error(`the daemon exited: ${log}`);
			return child;
		},
		corePid() {
			const lock = path.join(home, 'ccfleet.lock');
			if (!existsSync(lock)) return undefined;
			try {
				return (JSON.parse(readFileSync(lock, 'utf8')) as {pid: number}).pid;
			} catch {
				return undefined;
			}
		},
		async cleanup() {
			const pid = sandbox.corePid();
			for (const child of daemons) child.kill('SIGTERM');
			if (pid) {
				try {
					process.kill(pid, 'SIGTERM');
				} catch {
					// gone already
				}
			}
			await waitFor('the core to stop', () => !sandbox.corePid(), 15_000).catch(() => undefined);
			await mock.close();
			claude.cleanup();
			rmSync(home, {recursive: true, force: true});
			rmSync(project, {recursive: true, force: true});
		},
	};
	return sandbox;
}

/** Pids of every live process that carries a task's marker (the worker and anything it started). */
export function processesOfTask(taskId: string): number[] {
	const found: number[] = [];
	for (const entry of readdirSafe('/proc')) {
		const pid = Number(entry);
		if (!Number.isInteger(pid) || pid === process.pid) continue;
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			if (/\) [ZX] /.test(stat)) continue;
			if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`CCFLEET_TASK_ID=${taskId}`)) found.push(pid);
		} catch {
			// ended while we looked
		}
	}
	return found;
}

function readdirSafe(dir: string): string[] {
	try {
		return readdirSync(dir);
	} catch {
		return [];
	}
}
