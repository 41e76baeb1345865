/** A task as one row of the tasks table, and back: the only place that knows the columns. */
import {FleetError} from '../../core/domain/errors.js';
import type {AnsweredQuestion} from '../../core/domain/permission-answer.js';
import type {WorkflowMembership} from '../../core/domain/workflow-expansion.js';
import {
	DEPENDENCY_FAILURE_POLICIES,
	ISOLATIONS,
	PERMISSION_MODES,
	PRIORITIES,
	TASK_STATUSES,
	WORKER_MODES,
	type Checkpoint,
	type DependencyFailurePolicy,
	type Isolation,
	type PermissionMode,
	type Priority,
	type Task,
	type TaskStatus,
	type WorkerMode,
} from '../../core/domain/task.js';
import {MERGE_STRATEGIES, type MergeOutcome, type MergeStrategy, type Worktree} from '../../core/ports/workspace.js';

export type TaskRow = {
	id: string;
	prompt: string;
	cwd: string;
	priority: string;
	status: string;
	permission_mode: string;
	model: string | null;
	timeout_ms: number;
	session_id: string;
	created_at: number;
	updated_at: number;
	started_at: number | null;
	ended_at: number | null;
	attempts: number;
	has_exit_code: number;
	exit_code: number | null;
	result: string | null;
	failure_reason: string | null;
	cancelled_by: string | null;
	cost_usd: number;
	tokens_input: number;
	tokens_output: number;
	tokens_cache_read: number;
	tokens_cache_creation: number;
	worker_pid: number | null;
	worker_start_time: number | null;
	resume_pending: number | null;
	parent_task_id: string | null;
	retry_of: string | null;
	max_output_bytes: number | null;
	max_budget_usd: number | null;
	mode: string;
	depends_on: string | null;
	continue_from: string | null;
	on_dependency_failure: string | null;
	checkpoint: string | null;
	role: string | null;
	isolation: string | null;
	merge_strategy: string | null;
	worktree: string | null;
	merge: string | null;
	parked_until: number | null;
	allow_rules: string | null;
	deny_rules: string | null;
	answers: string | null;
	base_branch: string | null;
	verify_command: string | null;
	workflow: string | null;
	pin_host: string | null;
	pin_label: string | null;
};

export const COLUMNS = [
	'id',
	'prompt',
	'cwd',
	'priority',
	'status',
	'permission_mode',
	'model',
	'timeout_ms',
	'session_id',
	'created_at',
	'updated_at',
	'started_at',
	'ended_at',
	'attempts',
	'has_exit_code',
	'exit_code',
	'result',
	'failure_reason',
	'cancelled_by',
	'cost_usd',
	'tokens_input',
	'tokens_output',
	'tokens_cache_read',
	'tokens_cache_creation',
	'worker_pid',
	'worker_start_time',
	'resume_pending',
	'parent_task_id',
	'retry_of',
	'max_output_bytes',
	'max_budget_usd',
	'mode',
	'depends_on',
	'continue_from',
	'on_dependency_failure',
	'checkpoint',
	'role',
	'isolation',
	'merge_strategy',
	'worktree',
	'merge',
	'parked_until',
	'allow_rules',
	'deny_rules',
	'answers',
	'base_branch',
	'verify_command',
	'workflow',
	'pin_host',
	'pin_label',
] as const satisfies ReadonlyArray<keyof TaskRow>;

export function toRow(task: Task): TaskRow {
	return {
		id: task.id,
		prompt: task.prompt,
		cwd: task.cwd,
		priority: task.priority,
		status: task.status,
		permission_mode: task.permissionMode,
		model: task.model ?? null,
		timeout_ms: task.timeoutMs,
		session_id: task.sessionId,
		created_at: task.createdAt,
		updated_at: task.updatedAt,
		started_at: task.startedAt ?? null,
		ended_at: task.endedAt ?? null,
		attempts: task.attempts,
		has_exit_code: task.exitCode === undefined ? 0 : 1,
		exit_code: task.exitCode ?? null,
		result: task.result ?? null,
		failure_reason: task.failureReason ?? null,
		cancelled_by: task.cancelledBy ?? null,
		cost_usd: task.costUsd,
		tokens_input: task.tokens.input,
		tokens_output: task.tokens.output,
		tokens_cache_read: task.tokens.cacheRead,
		tokens_cache_creation: task.tokens.cacheCreation,
		worker_pid: task.worker?.pid ?? null,
		worker_start_time: task.worker?.startTime ?? null,
		resume_pending: task.resumePending === undefined ? null : Number(task.resumePending),
		parent_task_id: task.parentTaskId ?? null,
		retry_of: task.retryOf ?? null,
		max_output_bytes: task.maxOutputBytes ?? null,
		max_budget_usd: task.maxBudgetUsd ?? null,
		mode: task.mode,
		depends_on: task.dependsOn ? JSON.stringify(task.dependsOn) : null,
		continue_from: task.continueFrom ?? null,
		on_dependency_failure: task.onDependencyFailure ?? null,
		checkpoint: task.checkpoint ? JSON.stringify(task.checkpoint) : null,
		role: task.role ?? null,
		isolation: task.isolation ?? null,
		merge_strategy: task.mergeStrategy ?? null,
		worktree: task.worktree ? JSON.stringify(task.worktree) : null,
		merge: task.merge ? JSON.stringify(task.merge) : null,
		parked_until: task.parkedUntil ?? null,
		allow_rules: task.allow ? JSON.stringify(task.allow) : null,
		deny_rules: task.deny ? JSON.stringify(task.deny) : null,
		answers: task.answers ? JSON.stringify(task.answers) : null,
		base_branch: task.base ?? null,
		verify_command: task.verify ?? null,
		workflow: task.workflow ? JSON.stringify(task.workflow) : null,
		pin_host: task.host ?? null,
		pin_label: task.label ?? null,
	};
}

/** Optional fields are left out when NULL, so a stored task reads back deep-equal to what was written. */
export function fromRow(row: TaskRow): Task {
	return {
		id: row.id,
		prompt: row.prompt,
		cwd: row.cwd,
		priority: checked(row, 'priority', PRIORITIES),
		status: checked(row, 'status', TASK_STATUSES),
		permissionMode: checked(row, 'permission_mode', PERMISSION_MODES),
		mode: checked(row, 'mode', WORKER_MODES),
		...(row.model === null ? {} : {model: row.model}),
		timeoutMs: row.timeout_ms,
		sessionId: row.session_id,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		...(row.started_at === null ? {} : {startedAt: row.started_at}),
		...(row.ended_at === null ? {} : {endedAt: row.ended_at}),
		attempts: row.attempts,
		...(row.has_exit_code === 1 ? {exitCode: row.exit_code} : {}),
		...(row.result === null ? {} : {result: row.result}),
		...(row.failure_reason === null ? {} : {failureReason: row.failure_reason}),
		...(row.cancelled_by === null ? {} : {cancelledBy: row.cancelled_by}),
		costUsd: row.cost_usd,
		tokens: {
			input: row.tokens_input,
			output: row.tokens_output,
			cacheRead: row.tokens_cache_read,
			cacheCreation: row.tokens_cache_creation,
		},
		...(row.worker_pid === null || row.worker_start_time === null ? {} : {worker: {pid: row.worker_pid, startTime: row.worker_start_time}}),
		...(row.resume_pending === null ? {} : {resumePending: row.resume_pending === 1}),
		...(row.parent_task_id === null ? {} : {parentTaskId: row.parent_task_id}),
		...(row.retry_of === null ? {} : {retryOf: row.retry_of}),
		...(row.max_output_bytes === null ? {} : {maxOutputBytes: row.max_output_bytes}),
		...(row.max_budget_usd === null ? {} : {maxBudgetUsd: row.max_budget_usd}),
		...(row.depends_on === null ? {} : {dependsOn: JSON.parse(row.depends_on) as string[]}),
		...(row.continue_from === null ? {} : {continueFrom: row.continue_from}),
		...(row.on_dependency_failure === null ? {} : {onDependencyFailure: checked(row, 'on_dependency_failure', DEPENDENCY_FAILURE_POLICIES)}),
		...(row.checkpoint === null ? {} : {checkpoint: JSON.parse(row.checkpoint) as Checkpoint}),
		// Any name: a user's role is known only to the catalogue, and the task's runner looks it up when it starts.
		...(row.role === null ? {} : {role: row.role}),
		...(row.isolation === null ? {} : {isolation: checked(row, 'isolation', ISOLATIONS)}),
		...(row.merge_strategy === null ? {} : {mergeStrategy: checked(row, 'merge_strategy', MERGE_STRATEGIES)}),
		...(row.worktree === null ? {} : {worktree: JSON.parse(row.worktree) as Worktree}),
		...(row.merge === null ? {} : {merge: JSON.parse(row.merge) as MergeOutcome}),
		...(row.parked_until === null ? {} : {parkedUntil: row.parked_until}),
		...(row.allow_rules === null ? {} : {allow: JSON.parse(row.allow_rules) as string[]}),
		...(row.deny_rules === null ? {} : {deny: JSON.parse(row.deny_rules) as string[]}),
		...(row.answers === null ? {} : {answers: JSON.parse(row.answers) as AnsweredQuestion[]}),
		...(row.base_branch === null ? {} : {base: row.base_branch}),
		...(row.verify_command === null ? {} : {verify: row.verify_command}),
		...(row.workflow === null ? {} : {workflow: JSON.parse(row.workflow) as WorkflowMembership}),
		...(row.pin_host === null ? {} : {host: row.pin_host}),
		...(row.pin_label === null ? {} : {label: row.pin_label}),
	};
}

function checked<T extends Priority | TaskStatus | PermissionMode | WorkerMode | DependencyFailurePolicy | Isolation | MergeStrategy>(
	row: TaskRow,
	column: 'priority' | 'status' | 'permission_mode' | 'mode' | 'on_dependency_failure' | 'isolation' | 'merge_strategy',
	allowed: readonly T[],
): T {
	const value = row[column];
	if (value !== null && (allowed as readonly string[]).includes(value)) return value as T;
	throw new FleetError(
		`Task ${row.id} has ${column} "${value}" in the database, which this ccfleet does not know (expected one of ${allowed.join(', ')}). ` +
			'Upgrade ccfleet, or fix the row by hand.',
	);
}
