// `ccfleet --demo`: the whole fleet on this machine against the bundled mock API, so someone without credentials can
// watch it work. Everything lives in temporary directories that are removed on quit; nothing leaves the machine
// (the mock listens on 127.0.0.1 and claude is pointed at it with a fake key).
import {appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createStderrLogger} from '../adapters/system/stderr-logger.js';
import {connectFleet, type FleetClient} from '../cli/client.js';
import {loadConfig, type Config} from '../config.js';
import {startCore, type CoreHost} from '../core-host.js';
import type {ScheduleView} from '../protocol/views.js';
import type {TaskView} from '../protocol/views.js';
import {claudeBinary, createClaudeEnv, type ClaudeEnv} from './claude-env.js';
import {startMockApi, type MockApi, type PromptScript} from './mock-anthropic-api.js';

/** What the dashboard's header says for the whole demo. */
const DEMO_BANNER = 'DEMO — mock API, nothing leaves this machine';
/** Workers at once: enough for the scripted tasks to run side by side, few enough for a laptop. */
const DEMO_MAX_WORKERS = 4;
/** The failing task runs past this and is failed for it. */
const FAIL_TIMEOUT_MS = 25_000;
/** The one-time schedule fires this long after the demo starts. */
const SCHEDULE_DELAY_MS = 60_000;

/** The scripted tasks by role, as the core returned them when they were submitted. */
export type DemoTasks = {
	design: TaskView;
	implement: TaskView;
	test: TaskView;
	docs: TaskView;
	release: TaskView;
	permission: TaskView;
	slow: TaskView;
	migrate: TaskView;
	backfill: TaskView;
};

export type DemoSetup = {
	config: Config;
	/** The project directory the tasks run in (trusted in the seeded claude config). */
	project: string;
	mock: MockApi;
	core: CoreHost;
	/** A client of the demo's core, for whoever wants to watch it besides the dashboard (tests). */
	client: FleetClient;
	tasks: DemoTasks;
	schedules: ScheduleView[];
	/** Stops the core and its workers and the mock, and removes every temporary directory. Idempotent. */
	close(): Promise<void>;
};

export type DemoOptions = {
	/** Where the demo's temporary directories go; default the system's. */
	tmpDir?: string;
	/** Environment the demo starts from (PATH and the like); anything that points claude elsewhere is dropped. */
	env?: NodeJS.ProcessEnv;
};

/**
 * Starts the mock API, a core in this process with a fresh state directory, and a seeded claude config, then hands
 * the core the scripted tasks and schedules. The dashboard is not part of it, so a test can check the fleet at work.
 */
export async function setupDemo(options: DemoOptions = {}): Promise<DemoSetup> {
	const root = mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'ccfleet-demo-'));
	const project = path.join(root, 'project');
	const home = path.join(root, 'state');
	mkdirSync(project, {recursive: true});
	writeFileSync(path.join(project, 'README.md'), '# demo-project\n\nA throwaway project for `ccfleet --demo`.\n');
	const cleanups: Array<() => Promise<void> | void> = [() => rmSync(root, {recursive: true, force: true})];
	let closing: Promise<void> | undefined;
	const close = () =>
		(closing ??= (async () => {
			for (const cleanup of cleanups.reverse()) {
				try {
					await cleanup();
				} catch {
					// Each cleanup runs whatever the others did; the temp dirs go last.
				}
			}
		})());
	try {
		const mock = await startMockApi({defaultReply: 'Done. (This answer came from the demo’s mock API.)', scripts: DEMO_SCRIPTS});
		cleanups.push(() => mock.close());
		const claude: ClaudeEnv = createClaudeEnv({mockUrl: mock.url, trustedDirs: [project]});
		cleanups.push(() => claude.cleanup());
		const env = demoEnv(options.env ?? process.env, claude);
		// The demo shows the fleet at work: a laptop busy with something else must not hold its few mock workers.
		const config = loadConfig({...env, CCFLEET_HOME: home, CCFLEET_MAX_WORKERS: String(DEMO_MAX_WORKERS), CCFLEET_STAGGER_MS: '150', CCFLEET_CPU_THRESHOLD: '100'});
		mkdirSync(home, {recursive: true, mode: 0o700});
		// The core's log would scribble over the dashboard; it goes to a file in the demo's state directory.
		const logPath = path.join(home, 'demo.log');
		const core = await startCore(
			config,
			createStderrLogger(config.logLevel, line => appendFileSync(logPath, line)),
			env,
		);
		cleanups.push(() => core.close());
		const client = await connectFleet(config, {name: 'ccfleet-demo', startDaemon: false});
		cleanups.push(() => client.close());
		const tasks = await submitTasks(client, project);
		const schedules = await submitSchedules(client, project);
		return {config, project, mock, core, client, tasks, schedules, close};
	} catch (error) {
		await close();
		throw error;
	}
}

/** `ccfleet --demo`: the setup, the dashboard on it (labelled as the demo), and everything removed on quit. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
	process.stderr.write('ccfleet: starting the demo (mock API, temporary state; nothing leaves this machine)…\n');
	const demo = await setupDemo(options);
	// A signal must not leave claude processes or temporary directories behind either.
	const handleSignal = (signal: NodeJS.Signals) => {
		void demo.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
	};
	process.once('SIGTERM', handleSignal);
	process.once('SIGHUP', handleSignal);
	try {
		const {runDashboard} = await import('../ui/run-dashboard.js');
		return await runDashboard(demo.config, {banner: DEMO_BANNER, isEphemeralCore: true, defaultCwd: demo.project});
	} finally {
		process.off('SIGTERM', handleSignal);
		process.off('SIGHUP', handleSignal);
		await demo.close();
		process.stderr.write('ccfleet: the demo stopped its workers and removed its temporary files.\n');
	}
}

/**
 * The environment of the demo's core and workers: the person's own, minus anything that would send claude to a real
 * account or provider, plus the seeded config and the mock; the bundled claude when it is installed, since the
 * seeded config is made for its version.
 */
function demoEnv(base: NodeJS.ProcessEnv, claude: ClaudeEnv): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(base)) {
		if (/^(ANTHROPIC_|CLAUDE_CODE_USE_|CLAUDE_CONFIG_DIR$|CCFLEET_|AWS_BEARER_TOKEN_BEDROCK$)/.test(key)) continue;
		// Workers run in their own pty, not in the person's tmux: claude would show a tmux hint on every screen.
		if (key === 'TMUX' || key === 'TMUX_PANE') continue;
		env[key] = value;
	}
	Object.assign(env, claude.env);
	env.NO_PROXY = ['127.0.0.1', 'localhost', env.NO_PROXY].filter(Boolean).join(',');
	try {
		env.CCFLEET_CLAUDE_BIN = claudeBinary();
	} catch {
		// Without the bundled claude, the core looks on PATH as usual.
	}
	return env;
}

/** The demo's prompts, as a person would write them, and what the mock does with each (kept off the screen). */
const PROMPTS = {
	design: {text: 'Design a --verbose flag for the CLI.', script: '[[slow:5000]] [[reply:Design: one flag, --verbose, that logs each step to stderr.]]'},
	implement: {text: 'Implement the --verbose flag as designed.', script: '[[slow:9000]] [[reply:Implemented --verbose in cli.ts.]]'},
	docs: {text: 'Document the --verbose flag in the README.', script: '[[slow:4000]] [[reply:README updated.]]'},
	test: {text: 'Test the --verbose flag.', script: '[[slow:6000]] [[reply:All 12 tests pass.]]'},
	release: {text: 'Write the release notes for --verbose.', script: '[[slow:3000]] [[reply:Release notes written.]]'},
	permission: {text: 'Clean the build directory.', script: '[[tool:bash:echo cleaned > demo-cleanup.txt]]'},
	slow: {text: 'Review the whole codebase for dead code.', script: '[[slow:120000]] [[reply:Review done: nothing dead.]]'},
	migrate: {text: 'Migrate the database to the new schema.', script: '[[slow:600000]]'},
	backfill: {text: 'Backfill the new columns.', script: '[[reply:Backfilled.]]'},
	report: {text: 'Write the daily report.', script: '[[reply:Report written.]]'},
	triage: {text: 'Triage the new issues.', script: '[[reply:3 issues triaged.]]'},
} as const satisfies Record<string, {text: string; script: string}>;

/** The mock's side of PROMPTS. */
export const DEMO_SCRIPTS: PromptScript[] = Object.values(PROMPTS).map(prompt => ({match: prompt.text, directives: prompt.script}));

async function submitTasks(client: FleetClient, cwd: string): Promise<DemoTasks> {
	const delegate = async (args: Record<string, unknown>) => (await client.call('delegate_task', {cwd, ...args})).task;
	// A small feature as a DAG: design, then implement → test and docs side by side, then release after both.
	const design = await delegate({prompt: PROMPTS.design.text, priority: 'P0'});
	const implement = await delegate({prompt: PROMPTS.implement.text, continueFrom: design.id});
	const docs = await delegate({prompt: PROMPTS.docs.text, dependsOn: [design.id]});
	const test = await delegate({prompt: PROMPTS.test.text, dependsOn: [implement.id]});
	const release = await delegate({prompt: PROMPTS.release.text, dependsOn: [test.id, docs.id]});
	// Asks before running a command: the person answers with y (or n) in the dashboard.
	const permission = await delegate({prompt: PROMPTS.permission.text, permissionMode: 'default', priority: 'P0'});
	const slow = await delegate({prompt: PROMPTS.slow.text});
	// Runs past its timeout and fails, and the task that depends on it fails without starting.
	const migrate = await delegate({prompt: PROMPTS.migrate.text, timeoutMs: FAIL_TIMEOUT_MS, priority: 'P2'});
	const backfill = await delegate({prompt: PROMPTS.backfill.text, dependsOn: [migrate.id], priority: 'P2'});
	return {design, implement, test, docs, release, permission, slow, migrate, backfill};
}

async function submitSchedules(client: FleetClient, cwd: string): Promise<ScheduleView[]> {
	const schedule = async (args: Record<string, unknown>) => (await client.call('schedule_task', {cwd, ...args})).schedule;
	return [
		await schedule({prompt: PROMPTS.report.text, at: new Date(Date.now() + SCHEDULE_DELAY_MS).toISOString(), timezone: 'UTC'}),
		await schedule({prompt: PROMPTS.triage.text, cron: '0 9 * * 1-5', timezone: 'Europe/Berlin'}),
	];
}
