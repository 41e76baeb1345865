import {z} from 'zod';
import {taskSpecShape} from '../../core/domain/task-spec.js';

/**
 * delegate_task's fields: the task spec's (core/domain/task-spec.ts), with `cwd` optional (the calling session's
 * directory by default) and descriptions cut to what a model needs, since a main session carries the tool list in
 * every request. The enums list their values themselves.
 */
export const mcpTaskShape = {
	// A field added to the spec is offered here as it is described there, until a shorter description is written below.
	...taskSpecShape,
	prompt: taskSpecShape.prompt.describe('Self-contained: goal, files, how to verify, what to report.'),
	cwd: taskSpecShape.cwd.optional().describe('Absolute path; default: your directory.'),
	priority: taskSpecShape.priority.describe('P0 runs first; default P1.'),
	timeoutMs: taskSpecShape.timeoutMs.describe('ms or "30m"; default 30m.'),
	maxOutputBytes: taskSpecShape.maxOutputBytes.describe('Log cap: bytes or "10MB".'),
	maxBudgetUsd: taskSpecShape.maxBudgetUsd.describe('Fail once it cost this much.'),
	dependsOn: taskSpecShape.dependsOn.describe('Task ids that must complete first.'),
	continueFrom: taskSpecShape.continueFrom.describe('A task to wait for and continue from (its result and git state).'),
	onDependencyFailure: taskSpecShape.onDependencyFailure.describe('If a dependency fails; default fail.'),
	role: taskSpecShape.role.describe('See list_roles.'),
	mode: taskSpecShape.mode.describe('pty (default) or headless (less memory).'),
	isolation: taskSpecShape.isolation.describe('worktree: own git worktree and branch.'),
	mergeStrategy: taskSpecShape.mergeStrategy.describe('With worktree: manual (default), patch, auto (merge queue), pr (gh).'),
	base: taskSpecShape.base.describe('auto/pr: target branch; default current.'),
	verify: taskSpecShape.verify.describe('auto: must pass to land, e.g. "npm test".'),
	model: taskSpecShape.model.describe('claude --model, e.g. sonnet.'),
	permissionMode: taskSpecShape.permissionMode.describe('Default acceptEdits.'),
	allow: taskSpecShape.allow.describe('Permission rules answered yes, e.g. "Bash(npm test:*)".'),
	deny: taskSpecShape.deny.describe('Permission rules answered no.'),
	host: taskSpecShape.host.describe('Only on this host id.'),
	label: taskSpecShape.label.describe('Only on hosts with this label.'),
};

/** The fields as a tool receives them: the spec, `cwd` not yet filled in. */
export type McpTaskInput = z.infer<z.ZodObject<typeof mcpTaskShape>>;

/** Marks the fields a tool accepts beyond those its listed schema shows (tools/tool-registry.ts checks against these). */
export const ACCEPTS = Symbol('accepts');

/**
 * A tool's listed input fields, accepting `accepted` as well: the schedule tools list a task's most used fields and
 * take every other delegate_task field too, checked as strictly, without repeating their schemas in the tool list.
 */
export function listedInput<L extends z.ZodRawShape>(listed: L, accepted: z.ZodRawShape): L {
	return Object.assign({}, listed, {[ACCEPTS]: {...accepted, ...listed}});
}
