import {z} from 'zod';
import {MISSED_RUN_POLICIES, RUN_OUTCOMES, SCHEDULE_KINDS, SCHEDULE_STATUSES} from '../core/domain/schedule.js';
import {DEPENDENCY_FAILURE_POLICIES, ISOLATIONS, PERMISSION_MODES, PRIORITIES, TASK_STATUSES, WORKER_MODES} from '../core/domain/task-enums.js';
import {taskSpecShape} from '../core/domain/task-spec.js';
import {ANSWERERS} from '../core/domain/permission-answer.js';
import {MERGE_STRATEGIES} from '../core/ports/workspace.js';

/**
 * What the core's answers look like, for both sides: the MCP tools declare these as their output schemas, and the
 * CLI and the dashboard read answers through them instead of trusting a cast. Times are ISO 8601 strings.
 */

const iso = z.string().describe('An ISO 8601 time.');

const tokensSchema = z.object({input: z.number(), output: z.number(), cacheRead: z.number(), cacheCreation: z.number()});

const worktreeSchema = z.object({repoRoot: z.string(), path: z.string(), branch: z.string(), baseSha: z.string()});

const mergeOutcomeSchema = z.object({
	strategy: z.enum(MERGE_STRATEGIES),
	summary: z.string(),
	merged: z.boolean(),
	patchPath: z.string().optional(),
	branchKept: z.boolean(),
	pullRequestUrl: z.string().optional(),
	landedSha: z.string().optional(),
	conflictFiles: z.array(z.string()).optional(),
});

const checkpointSchema = z.object({
	takenAt: iso,
	git: z.object({branch: z.string(), sha: z.string(), dirtyFiles: z.array(z.string())}).optional(),
	outputTail: z.array(z.string()),
	result: z.string().optional(),
	sessionId: z.string(),
	pullRequestUrl: z.string().optional(),
	/** A progress checkpoint of a running task on a shared fleet: the host it was taken on. */
	runningOn: z.string().optional(),
});

const permissionQuestionSchema = z.object({toolName: z.string(), toolInput: z.unknown(), question: z.string()});

/** An answered permission question, as a task's history shows it. */
export const answeredQuestionSchema = z.object({
	at: iso,
	toolName: z.string(),
	summary: z.string(),
	answer: z.enum(['allow', 'deny']),
	by: z.enum(ANSWERERS),
	rule: z.object({text: z.string(), level: z.enum(['task', 'project', 'user']), source: z.string()}).optional(),
	message: z.string().optional(),
});
export type AnsweredQuestionView = z.infer<typeof answeredQuestionSchema>;

const WORKER_STATES = ['starting', 'busy', 'needs_input', 'idle'] as const;

/** A task as clients see it: the live worker's state folded in. */
export const taskViewSchema = z.object({
	id: z.string(),
	status: z.enum(TASK_STATUSES),
	priority: z.enum(PRIORITIES),
	/** Shortened, saying how long it is: the whole prompt is in task_status with an id and fullPrompt. */
	prompt: z.string(),
	cwd: z.string(),
	permissionMode: z.enum(PERMISSION_MODES),
	mode: z.enum(WORKER_MODES),
	/** A built-in role or one of the user's. */
	role: z.string().optional(),
	/** The workflow this task is a step of: its id (wf-…), its template's name, the step. */
	workflow: z.object({id: z.string(), name: z.string(), step: z.string()}).optional(),
	isolation: z.enum(ISOLATIONS).optional(),
	mergeStrategy: z.enum(MERGE_STRATEGIES).optional(),
	base: z.string().optional(),
	verify: z.string().optional(),
	worktree: worktreeSchema.optional(),
	merge: mergeOutcomeSchema.optional(),
	model: z.string().optional(),
	maxOutputBytes: z.number().optional(),
	maxBudgetUsd: z.number().optional(),
	parentTaskId: z.string().optional(),
	retryOf: z.string().optional(),
	dependsOn: z.array(z.string()).optional(),
	continueFrom: z.string().optional(),
	onDependencyFailure: z.enum(DEPENDENCY_FAILURE_POLICIES).optional(),
	/** Dependencies that have not ended yet. */
	waitingOn: z.array(z.string()).optional(),
	/** Where it may run (task spec host and label): pinned to one host, or to hosts with a label. */
	pin: z.object({host: z.string().optional(), label: z.string().optional()}).optional(),
	/** With several hosts: the host that holds it or ran it. */
	host: z.string().optional(),
	/** A queued pinned task no live host may take: what it waits for, e.g. "a host with label gpu". */
	waitingFor: z.string().optional(),
	checkpoint: checkpointSchema.optional(),
	sessionId: z.string(),
	createdAt: iso,
	startedAt: iso.optional(),
	endedAt: iso.optional(),
	attempts: z.number(),
	timeoutMs: z.number(),
	exitCode: z.number().nullable().optional(),
	result: z.string().optional(),
	failureReason: z.string().optional(),
	cancelledBy: z.string().optional(),
	costUsd: z.number(),
	tokens: tokensSchema,
	pid: z.number().optional(),
	workerState: z.enum(WORKER_STATES).optional(),
	/** Resident memory of the live worker and what it started, as last sampled. */
	rssBytes: z.number().optional(),
	question: permissionQuestionSchema.optional(),
	/** 1-based place in the queue, for a queued task ready to run. */
	queuePosition: z.number().optional(),
	/** A task parked at the account's usage limit goes on then. */
	parkedUntil: iso.optional(),
	/** Its own permission rules. */
	allow: z.array(z.string()).optional(),
	deny: z.array(z.string()).optional(),
	/** Its permission questions answered so far (by a rule, a person, or the ask timeout), latest last. */
	answers: z.array(answeredQuestionSchema).optional(),
	/** What the live worker does now: the tool it runs and that tool's main argument (a command, a path). */
	activity: z.object({tool: z.string(), detail: z.string()}).optional(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

export const taskCountsSchema = z.object(Object.fromEntries(TASK_STATUSES.map(status => [status, z.number()])) as Record<(typeof TASK_STATUSES)[number], z.ZodNumber>);

/** The fleet's limits in force (configure_fleet changes them). */
export const fleetSettingsViewSchema = z.object({
	/** CCFLEET_MAX_WORKERS, when set; otherwise the machine's CPU and memory decide. */
	maxWorkers: z.number().optional(),
	cpuThresholdPercent: z.number(),
	memoryReserveBytes: z.number(),
	/** A worker whose process tree grows past this is recycled. */
	workerMaxRssBytes: z.number(),
	/** No new task starts once this much was spent since local midnight. */
	dailyBudgetUsd: z.number().optional(),
});

/** How admission stands: what decides whether the next worker starts. */
export const admissionViewSchema = fleetSettingsViewSchema.extend({
	/** USD spent by tasks started since local midnight. */
	spentTodayUsd: z.number(),
	/** What one more worker is expected to need, per mode: learned from running workers once they settle. */
	expectedWorkerBytes: z.object({pty: z.number(), headless: z.number()}),
	/** The measured memory of every live worker together. */
	workerBytes: z.number(),
	/** How many more workers of the next task's mode the machine's memory could carry now. */
	roomFor: z.number().optional(),
	/** Why the next queued task does not start now, when it does not. */
	heldBy: z.string().optional(),
	/** Which rule holds it, for a short label: ceiling, stagger, backoff, usage limit, cpu, memory, daily budget. */
	heldByPolicy: z.string().optional(),
});
export type AdmissionView = z.infer<typeof admissionViewSchema>;

export const fleetStatusSchema = z.object({
	/** `allowed`: how many could run now, by the ceiling and by what the machine can carry. */
	workers: z.object({running: z.number(), allowed: z.number()}),
	admission: admissionViewSchema,
	/** Every queued task, also those waiting for dependencies. */
	queued: z.number(),
	/** Queued tasks that can start as soon as a worker is free. */
	ready: z.number(),
	counts: taskCountsSchema,
	costUsd: z.number(),
	needsInput: z.array(z.object({id: z.string(), question: z.string()})),
	/** The account's usage limit: reached (nothing starts until resetsAt), just reset (ramping up), or near (warning). */
	usageLimit: z.object({state: z.enum(['limited', 'ramping', 'warning']), kind: z.string().optional(), resetsAt: iso.optional()}).optional(),
	/** The fleet-wide pause on new workers after the API turned one away. */
	backoff: z.object({until: iso, reason: z.string()}).optional(),
	/** Changes the database refused (a lock held by another process, a full disk): kept in memory and written again until it takes them. */
	unwritten: z.object({count: z.number(), since: iso, reason: z.string()}).optional(),
	system: z.object({cpuPercent: z.number(), memoryFreeBytes: z.number(), memoryTotalBytes: z.number()}),
	/** With several hosts: this host's id (the one answering); the workers, admission and machine figures are this host's alone. */
	host: z.string().optional(),
	/** With several hosts: each host, its labels, its last heartbeat, how many of its workers run; `down` once it stopped or went silent. */
	hosts: z.array(z.object({id: z.string(), labels: z.array(z.string()), heartbeatAt: iso, workers: z.number(), down: z.boolean().optional()})).optional(),
});
export type FleetStatus = z.infer<typeof fleetStatusSchema>;

export const scheduleRunViewSchema = z.object({
	id: z.number(),
	scheduledFor: iso,
	firedAt: iso,
	taskId: z.string().optional(),
	outcome: z.enum(RUN_OUTCOMES),
	endedAt: iso.optional(),
	missedCount: z.number().optional(),
	detail: z.string().optional(),
});
export type ScheduleRunView = z.infer<typeof scheduleRunViewSchema>;

export const scheduleViewSchema = z.object({
	id: z.string(),
	kind: z.enum(SCHEDULE_KINDS),
	status: z.enum(SCHEDULE_STATUSES),
	cron: z.string().optional(),
	runAt: iso.optional(),
	timezone: z.string(),
	missedRunPolicy: z.enum(MISSED_RUN_POLICIES),
	/** The task it submits each time; the prompt shortened in lists. */
	task: z.object(taskSpecShape),
	nextRunAt: iso.optional(),
	/** `2026-03-08 09:00 EDT`: the next run as people in the schedule's zone read it. */
	nextRunLocal: z.string().optional(),
	lastRunAt: iso.optional(),
	createdAt: iso,
	updatedAt: iso,
	endReason: z.string().optional(),
	pipeline: z.object({pipelineId: z.string(), step: z.number(), steps: z.number(), delayMs: z.number()}).optional(),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
