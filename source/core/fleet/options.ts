import type {TaskDefaults} from '../domain/task.js';
import type {Clock} from '../ports/clock.js';
import type {GitInspector} from '../ports/git.js';
import type {IdSource} from '../ports/ids.js';
import type {Logger} from '../ports/logger.js';
import type {SystemMonitor} from '../ports/system-monitor.js';
import type {OutputLog, TaskStore} from '../ports/task-store.js';
import type {WorkerDriver} from '../ports/worker-driver.js';
import type {Workspaces} from '../ports/workspace.js';
import type {PermissionPolicies} from '../ports/permission-policies.js';
import type {ChangeJournal} from '../ports/change-journal.js';
import type {UserDefinitions} from '../ports/workflow-catalog.js';
import type {TaskCoordinator} from '../ports/task-coordinator.js';
import type {SharedGovernance} from '../ports/shared-governance.js';
import type {RemoteControl} from '../ports/remote-control.js';
import type {AdmissionPolicy} from './admission.js';
import type {HostIdentity} from './placement.js';
import {DEFAULT_ASK_OPTIONS, type AskOptions} from '../domain/ask-options.js';
import {DEFAULT_RESOURCE_OPTIONS, type ResourceOptions} from './resource-gauge.js';

/** What the fleet works with: every side effect goes through one of these. */
export type FleetPorts = {
	store: TaskStore;
	output: OutputLog;
	driver: WorkerDriver;
	clock: Clock;
	system: SystemMonitor;
	ids: IdSource;
	logger?: Logger;
	/** For the git part of checkpoints; without it checkpoints have none. */
	git?: GitInspector;
	/** For tasks isolated in a git worktree; without it such tasks are refused. */
	workspaces?: Workspaces;
	/** Rules that may hold the next start, asked after the ceiling, the stagger and the back-off. */
	admissionPolicies?: AdmissionPolicy[];
	/** Keeps the changes the store never took when the fleet stops, for the next start to write first. */
	journal?: ChangeJournal;
	/** The user's and the projects' permission rules; without them only a task's own rules answer questions. */
	policies?: PermissionPolicies;
	/** The user's own roles and workflow templates; without it only the built-in ones exist. */
	userDefinitions?: UserDefinitions;
	/** Runs a function on a later turn (the host's setImmediate), so a submit answers before its worker starts; without it the pump runs at once. */
	defer?: (run: () => void) => void;
	/** Several hosts share the store: tasks are claimed from it rather than owned by whoever inserted them. Without it, one host. */
	coordinator?: TaskCoordinator;
	/** Several hosts share one account: a usage limit one host meets holds them all (read when any host notes one). Without it, this host's own. */
	sharedGovernance?: SharedGovernance;
	/** Several hosts: changes to tasks other hosts hold go to them, and every host's questions are listed. Without it, only this host's tasks change here. */
	remote?: RemoteControl;
};

export type FleetOptions = {
	/** Workers that may run at once; undefined: as many as the machine's CPU and memory carry (see `resources`). */
	maxWorkers: number | undefined;
	/** Admission by measurement: the CPU threshold, the memory reserve, the expected size of a worker. */
	resources: ResourceOptions;
	/** How often the machine's CPU and memory are sampled while there is work. */
	systemSampleMs: number;
	/** Least time between two worker start-ups: concurrent claude start-ups race on their shared config file. */
	staggerMs: number;
	defaults: TaskDefaults;
	/** A task whose worker was lost this many times is failed instead of started again. */
	maxAttempts: number;
	/** Largest prompt accepted, in characters. */
	maxPromptChars: number;
	/** First wait before a task that failed for a passing reason (rate limit, overload) runs again; doubles each time. */
	retryBaseMs: number;
	/** How often every live worker's memory is measured. */
	memorySampleMs: number;
	/** A worker whose process tree grows past this many bytes is recycled: stopped and resumed from its conversation. */
	workerMaxRssBytes: number;
	/** No new task starts once this much (USD) was spent since local midnight; undefined: no budget. */
	dailyBudgetUsd: number | undefined;
	/** How long stop() waits for checkpoints and merges already under way before it gives up on them. */
	stopDrainMs: number;
	/** When a question nobody answers is announced, and what becomes of it in the end. */
	ask: AskOptions;
	/** This host's id and labels (CCFLEET_HOST_ID, CCFLEET_HOST_LABELS): on one host, a task pinned elsewhere is refused at submit. */
	host?: HostIdentity;
};

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
	maxWorkers: 4,
	resources: DEFAULT_RESOURCE_OPTIONS,
	systemSampleMs: 1000,
	staggerMs: 250,
	defaults: {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 30 * 60_000},
	maxAttempts: 3,
	maxPromptChars: 16 * 1024 * 1024,
	retryBaseMs: 10_000,
	memorySampleMs: 2000,
	workerMaxRssBytes: 4 * 1024 ** 3,
	dailyBudgetUsd: undefined,
	stopDrainMs: 15_000,
	ask: DEFAULT_ASK_OPTIONS,
};
