import path from 'node:path';
import {mkdirSync} from 'node:fs';
import type {Config} from './config.js';
import {findClaudeBinary} from './adapters/claude/claude-binary.js';
import {startNotifier} from './adapters/notify/index.js';
import {HookServer} from './adapters/claude/hook-server.js';
import {HeadlessWorkerDriver} from './adapters/claude/headless-driver.js';
import {ModeRoutingDriver} from './adapters/claude/mode-routing-driver.js';
import {PtyWorkerDriver} from './adapters/claude/pty-driver.js';
import {claudeGlobalConfigPath, firstStartGate} from './adapters/claude/first-start-gate.js';
import {PolicyFiles} from './adapters/fs/policy-files.js';
import {ChangeJournalFile} from './adapters/fs/change-journal-file.js';
import {FileOutputLog} from './adapters/fs/file-output-log.js';
import {userConfigDirectory, WorkflowFiles} from './adapters/fs/workflow-files.js';
import {createGitCliInspector} from './adapters/git/git-cli-inspector.js';
import {GitWorktrees} from './adapters/git/git-worktrees.js';
import {SqliteScheduleStore} from './adapters/sqlite/sqlite-schedule-store.js';
import {SqliteTaskStore} from './adapters/sqlite/sqlite-task-store.js';
import {redact} from './adapters/postgres/connection.js';
import {openSharedTasks} from './adapters/postgres/task-coordinator.js';
import {sharedGovernance} from './adapters/postgres/shared-governance.js';
import {openSharedSchedules} from './adapters/postgres/shared-schedules.js';
import type {TaskStore} from './core/ports/task-store.js';
import {OsSystemMonitor} from './adapters/system/os-system-monitor.js';
import {currentProcessIdentity} from './adapters/system/process-info.js';
import {randomIds} from './adapters/system/random-ids.js';
import {secureStateDirectory} from './adapters/system/state-dir.js';
import {acquireStateLock} from './adapters/system/state-lock.js';
import {systemClock} from './adapters/system/system-clock.js';
import {createFleet, type Fleet, type RecoveryReport} from './core/fleet.js';
import {DEFAULT_RESOURCE_OPTIONS} from './core/fleet/resource-gauge.js';
import type {Logger} from './core/ports/logger.js';
import {createScheduler, type Scheduler} from './core/scheduler.js';
import type {WorkerDriver} from './core/ports/worker-driver.js';
import {serveAttach} from './attach/attach-server.js';
import {createFleetMcpServer} from './mcp/fleet-server.js';
import {SocketTransport} from './mcp/socket-transport.js';
import {listenOnSocket} from './mcp/socket-server.js';
import {startHttpServer} from './http/http-server.js';
import {tokenFilePath} from './http/token-store.js';

export type CoreHost = {
	fleet: Fleet;
	scheduler: Scheduler;
	recovery: RecoveryReport;
	claudePath: string;
	/** Where the core serves HTTP (REST, MCP, the page) when config.http asks it to. */
	httpUrl?: string;
	/** Stops the fleet (running tasks go back to the queue to resume), closes the socket, releases the lock. Idempotent. */
	close(): Promise<void>;
};

/**
 * Starts the one core that owns a state directory: takes its lock, opens the store, recovers unfinished tasks,
 * and serves MCP on the socket. Both the daemon and the dashboard host it this way.
 */
export async function startCore(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<CoreHost> {
	mkdirSync(config.home, {recursive: true, mode: 0o700});
	const lock = acquireStateLock(config.lockPath, currentProcessIdentity());
	const cleanups: (() => Promise<void> | void)[] = [() => lock.release()];
	const closeAll = async () => {
		for (const cleanup of cleanups.reverse()) {
			try {
				await cleanup();
			} catch (error) {
				logger.error('cleanup failed', {error: String(error)});
			}
		}
	};
	try {
		secureStateDirectory(config, logger);
		// A policy file that cannot be used is refused now, with its line, rather than found out at the first question.
		const policies = new PolicyFiles(config.policyPath);
		policies.check();
		const claude = findClaudeBinary(env);
		logger.info('using claude', {path: claude.path, source: claude.source});
		// Several hosts share one fleet on PostgreSQL (CCFLEET_DATABASE_URL); otherwise the tasks are in this host's SQLite.
		const late: {fleet?: Fleet} = {};
		const shared = config.shared
			? await openSharedTasks(config.shared.databaseUrl, {
					hostId: config.host.id,
					labels: config.host.labels,
					...(config.shared.leaseMs === undefined ? {} : {leaseMs: config.shared.leaseMs}),
					logger,
					// Other hosts' tasks reach the views, subscriptions and the scheduler as this host's own changes do.
					onRemoteChange: (task, previous, holder) => late.fleet?.remoteChanged(task, previous, holder),
				})
			: undefined;
		if (shared) {
			const {id, labels} = config.host;
			logger.info('tasks and schedules are shared with every host on this PostgreSQL database', {host: id, labels, database: redact(config.shared!.databaseUrl)});
		}
		const store: TaskStore = shared?.store ?? new SqliteTaskStore(config.databasePath);
		cleanups.push(() => (shared ? shared.close() : store.close()));
		// One account: a usage limit any host meets holds every host's new starts until its reset (the budget counts every host's tasks already).
		const governance = shared
			? sharedGovernance(shared.pool, shared.changes, config.host.id, (message, cause) => logger.warn(message, {error: String(cause)}))
			: undefined;
		const output = new FileOutputLog(config.logsDirectory, {maxBytes: config.maxOutputBytes});
		cleanups.push(() => output.close());
		const hooks = new HookServer();
		await hooks.listen();
		cleanups.push(() => hooks.close());
		const driver: WorkerDriver = new ModeRoutingDriver({
			pty: new PtyWorkerDriver({claudePath: claude.path, env, hooks, trustWorkspace: config.trustWorkspace, approveApiKey: config.approveApiKey, logger}),
			headless: new HeadlessWorkerDriver({claudePath: claude.path, env, logger}),
		});
		// Its helper shell lives as long as this core; closed after the fleet stopped, so no checkpoint is cut off.
		const git = createGitCliInspector();
		cleanups.push(() => git.close());
		const fleet = createFleet(
			{
				store,
				output,
				driver,
				clock: systemClock,
				system: new OsSystemMonitor(),
				ids: randomIds,
				logger,
				git,
				workspaces: new GitWorktrees(config.home),
				policies,
				journal: new ChangeJournalFile(path.join(config.home, 'unwritten-changes.json')),
				// A submit answers at once; workers start on the next turn of the event loop.
				defer: run => setImmediate(run),
				// The only start-ups that must not overlap: claude's first in a config it never ran with.
				admissionPolicies: [firstStartGate(claudeGlobalConfigPath(env))],
				userDefinitions: new WorkflowFiles(userConfigDirectory(env)),
				...(shared ? {coordinator: shared.coordinator, remote: shared.commands} : {}),
				...(governance ? {sharedGovernance: governance} : {}),
			},
			{
				maxWorkers: config.maxWorkers,
				resources: {...DEFAULT_RESOURCE_OPTIONS, cpuThresholdPercent: config.cpuThresholdPercent, memoryReserveBytes: config.memoryReserveBytes},
				workerMaxRssBytes: config.workerMaxRssBytes,
				dailyBudgetUsd: config.dailyBudgetUsd,
				staggerMs: config.staggerMs,
				retryBaseMs: config.retryBaseMs,
				maxAttempts: config.maxAttempts,
				defaults: {priority: 'P1', permissionMode: config.permissionMode, mode: config.workerMode, timeoutMs: config.taskTimeoutMs},
				ask: config.ask,
				host: config.host,
			},
		);
		late.fleet = fleet;
		fleet.on('fleet:error', ({message}) => logger.error(message));
		cleanups.push(() => fleet.stop());
		// Before start: a task that recovery fails is worth telling too. Closed before the fleet stops: a shutdown is no news.
		const notifier = startNotifier(fleet, config.notify, env, logger);
		if (notifier) cleanups.push(() => notifier.close());
		// Shared: every host sees and changes the fleet's schedules, and only the leader fires them. Alone: the same
		// database file through a second connection; the task store above has already migrated it.
		const lateScheduler: {scheduler?: Scheduler} = {};
		const sharedSchedules = shared
			? await openSharedSchedules(shared.pool, config.shared!.databaseUrl, {
					hostId: config.host.id,
					changes: shared.changes,
					logger,
					onRemoteChange: change => lateScheduler.scheduler?.remoteChanged(change),
				})
			: undefined;
		const schedules = sharedSchedules?.store ?? new SqliteScheduleStore(config.databasePath);
		cleanups.push(() => (sharedSchedules ? sharedSchedules.close() : schedules.close()));
		const scheduler = createScheduler({
			store: schedules,
			clock: systemClock,
			ids: {scheduleId: () => randomIds.taskId()},
			fleet,
			logger,
			...(sharedSchedules ? {firing: sharedSchedules.firing} : {}),
		});
		lateScheduler.scheduler = scheduler;
		const recovery = await fleet.start();
		// A host alone in the fleet leads before its scheduler starts, so it fires at once.
		await sharedSchedules?.firing.start();
		// After the fleet: runs whose tasks ended meanwhile are settled against the recovered tasks. Stopped before it.
		scheduler.start();
		cleanups.push(() => scheduler.stop());
		const socket = await listenOnSocket(config.socketPath, connection => {
			const server = createFleetMcpServer(fleet, {scheduler});
			server.connect(new SocketTransport(connection)).catch((error: unknown) => logger.warn('an MCP client could not connect', {error: String(error)}));
		});
		cleanups.push(() => socket.close());
		const attachSocket = await listenOnSocket(config.attachSocketPath, connection => serveAttach(fleet, connection));
		cleanups.push(() => attachSocket.close());
		// Last: a remote client reaches the core only once everything it could ask for is up.
		const http = config.http
			? await startHttpServer({
					settings: config.http,
					fleet,
					scheduler,
					tokenFile: tokenFilePath(config.home),
					createMcpServer: () => createFleetMcpServer(fleet, {scheduler}),
					logger,
				})
			: undefined;
		if (http) cleanups.push(() => http.close());
		let closing: Promise<void> | undefined;
		return {
			fleet,
			scheduler,
			recovery,
			claudePath: claude.path,
			...(http ? {httpUrl: http.url} : {}),
			close: () => (closing ??= closeAll()),
		};
	} catch (error) {
		await closeAll();
		throw error;
	}
}
