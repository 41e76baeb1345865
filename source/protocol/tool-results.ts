import {z} from 'zod';
import {fleetSettingsViewSchema, fleetStatusSchema, scheduleRunViewSchema, scheduleViewSchema, taskCountsSchema, taskViewSchema} from './views.js';

/**
 * What each MCP tool puts in its structured content: declared as the tool's output schema on the server, and used by
 * the CLI and the dashboard to read the answer. `message` is the guidance for a model (Claude Code shows the model
 * the structured content instead of the text).
 */
const message = {message: z.string().optional().describe('What happened and how to go on, for a model.')};

export const taskResultSchema = z.object({...message, task: taskViewSchema});
export const taskStatusResultSchema = z.object({
	...message,
	/** With an id: that task. */
	task: taskViewSchema.optional(),
	/** Without: the newest tasks and the counts. */
	tasks: z.array(taskViewSchema).optional(),
	counts: taskCountsSchema.optional(),
});
export const resumeResultSchema = taskResultSchema.extend({resumedConversation: z.boolean()});
export const taskLogsResultSchema = z.object({
	...message,
	id: z.string(),
	log: z.string(),
	/** Bytes of the whole log; pass as `since` to get only what comes after. */
	bytes: z.number(),
	truncated: z.boolean(),
	screen: z.array(z.string()).optional(),
});
export const rolesResultSchema = z.object({...message, roles: z.array(z.object({name: z.string(), title: z.string(), instructions: z.string()}))});
/** cancel_task's answer: the task; for a workflow's id, its last step as `task` and every step as `tasks`. */
export const cancelResultSchema = z.object({...message, task: taskViewSchema, tasks: z.array(taskViewSchema).optional()});
/** A workflow and its steps' tasks, dependencies first. */
export const workflowResultSchema = z.object({...message, workflow: z.object({id: z.string(), name: z.string()}), tasks: z.array(taskViewSchema)});
export const workflowTemplateViewSchema = z.object({
	name: z.string(),
	description: z.string(),
	/** `built-in`, or the file it was read from. */
	source: z.string(),
	steps: z.array(z.object({id: z.string(), role: z.string(), dependsOn: z.array(z.string())})),
});
export type WorkflowTemplateView = z.infer<typeof workflowTemplateViewSchema>;
/** The templates there are, and the user's files that cannot be used (each naming its file and step). */
export const workflowTemplatesResultSchema = z.object({...message, templates: z.array(workflowTemplateViewSchema), faults: z.array(z.string())});
export const waitResultSchema = z.object({
	...message,
	tasks: z.array(taskViewSchema),
	allDone: z.boolean(),
	pending: z.array(z.string()),
	needsInput: z.array(z.string()),
	/** Why queued tasks do not start now, when they do not. */
	heldBy: z.string().optional(),
});
/** A permission question waiting for a person or the main session, as the inbox lists it. */
export const questionViewSchema = z.object({
	taskId: z.string(),
	cwd: z.string(),
	/** The task's prompt, first line and shortened. */
	prompt: z.string(),
	toolName: z.string(),
	toolInput: z.unknown(),
	question: z.string(),
	askedAt: z.string(),
	waitingMs: z.number(),
	/** The worker's last lines of output before it asked. */
	context: z.array(z.string()),
	/** With several hosts: the host whose worker asks (its host answers it, whichever host's inbox answers). */
	host: z.string().optional(),
});
export type QuestionView = z.infer<typeof questionViewSchema>;
export const questionsResultSchema = z.object({...message, questions: z.array(questionViewSchema)});
/** One task answered (by id), or every waiting question a rule covers (`matching`). */
export const respondResultSchema = z.object({...message, task: taskViewSchema.optional(), answered: z.array(z.string()).optional()});

export const queueResultSchema = z.object({...message, queue: z.array(taskViewSchema).optional(), task: taskViewSchema.optional()});
export const fleetStatusResultSchema = fleetStatusSchema.extend(message);
export const configureResultSchema = z.object({
	...message,
	settings: fleetSettingsViewSchema,
	spentTodayUsd: z.number(),
});
export const scheduleResultSchema = z.object({...message, schedule: scheduleViewSchema});
export const schedulesResultSchema = z.object({...message, schedules: z.array(scheduleViewSchema)});
export const scheduleWithRunsResultSchema = z.object({...message, schedule: scheduleViewSchema, runs: z.array(scheduleRunViewSchema)});
export const worktreeEntrySchema = z.object({
	taskId: z.string(),
	status: z.string(),
	branch: z.string(),
	path: z.string(),
	hasDirectory: z.boolean(),
	hasBranch: z.boolean(),
	state: z.enum(['in use', 'landing', 'kept', 'merged']),
	note: z.string(),
	pullRequestUrl: z.string().optional(),
});
export const worktreesResultSchema = z.object({
	...message,
	worktrees: z.array(worktreeEntrySchema),
	/** With prune: what was removed and what was kept. */
	pruned: z
		.object({removedDirectories: z.array(z.string()), deletedBranches: z.array(z.string()), keptBranches: z.array(z.object({taskId: z.string(), branch: z.string()}))})
		.optional(),
});
export type WorktreeEntryView = z.infer<typeof worktreeEntrySchema>;
export const pipelineResultSchema = z.object({...message, pipelineId: z.string(), schedules: z.array(scheduleViewSchema), firstTaskId: z.string().optional()});

/** Each tool's answer, by tool name: what `FleetClient.call` reads an answer through. */
export const TOOL_RESULTS = {
	delegate_task: taskResultSchema,
	list_roles: rolesResultSchema,
	task_status: taskStatusResultSchema,
	task_logs: taskLogsResultSchema,
	cancel_task: cancelResultSchema,
	retry_task: taskResultSchema,
	resume_task: resumeResultSchema,
	respond_to_task: respondResultSchema,
	list_questions: questionsResultSchema,
	wait_for_task: waitResultSchema,
	manage_queue: queueResultSchema,
	worktrees: worktreesResultSchema,
	fleet_status: fleetStatusResultSchema,
	configure_fleet: configureResultSchema,
	schedule_task: scheduleResultSchema,
	schedule_pipeline: pipelineResultSchema,
	list_schedules: schedulesResultSchema,
	get_schedule: scheduleWithRunsResultSchema,
	pause_schedule: scheduleResultSchema,
	resume_schedule: scheduleResultSchema,
	cancel_schedule: scheduleResultSchema,
	create_workflow: workflowResultSchema,
	list_workflow_templates: workflowTemplatesResultSchema,
} as const;

export type ToolName = keyof typeof TOOL_RESULTS;
export type ToolResult<N extends ToolName> = z.infer<(typeof TOOL_RESULTS)[N]>;
