import type {TaskSpec} from './task-spec.js';
import {stepsInOrder, type WorkflowTemplate} from './workflow-template.js';

/** Which workflow a task is a step of: recorded on the task, shown wherever the task is. */
export type WorkflowMembership = {
	/** The workflow's own id (`wf-…`): cancelling it cancels every step not yet ended. */
	id: string;
	/** The template it was made from. */
	name: string;
	/** The step's id in the template. */
	step: string;
};

/** What a workflow is started with besides its template and goal: the task settings every step shares. */
export type WorkflowSettings = Omit<TaskSpec, 'prompt' | 'dependsOn' | 'continueFrom' | 'role'>;

/** One step made into a task's spec, with the task id chosen for it beforehand so that dependents can name it. */
export type PlannedStep = {taskId: string; spec: TaskSpec; workflow: WorkflowMembership};

/** A workflow's id starts so; a task's never does (its ids are [0-9a-z]), so one field can take either. */
export const WORKFLOW_ID_PREFIX = 'wf-';

export function isWorkflowId(id: string): boolean {
	return id.startsWith(WORKFLOW_ID_PREFIX);
}

/** Longest goal accepted: it is repeated in every step's prompt. */
export const MAX_GOAL_CHARS = 1024 * 1024;

/** The step's prompt with the goal in it: in place of {{goal}}, or before the prompt when it has no such place. */
export function renderStepPrompt(prompt: string, goal: string): string {
	return prompt.includes('{{goal}}') ? prompt.replaceAll('{{goal}}', goal) : `The goal: ${goal}\n\n${prompt}`;
}

/**
 * The template's steps as task specs, dependencies first: each step's dependsOn names its dependencies' task ids;
 * the workflow's settings apply to every step, and a step's own (model, isolation, …) win over them. Pure: nothing
 * is checked against the fleet here (the fleet validates every spec before it creates any task).
 */
export function expandWorkflow(template: WorkflowTemplate, input: {goal: string; settings: WorkflowSettings; workflowId: string; newTaskId: () => string}): PlannedStep[] {
	const ordered = stepsInOrder(template.steps);
	const taskIds = new Map(ordered.map(step => [step.id, input.newTaskId()]));
	return ordered.map(step => {
		const {id, role, prompt, dependsOn, ...own} = step;
		const spec: TaskSpec = {...input.settings, ...own, prompt: renderStepPrompt(prompt, input.goal), role};
		if (dependsOn?.length) spec.dependsOn = dependsOn.map(dependency => taskIds.get(dependency)!);
		// A step that opts out of the workflow's worktree takes no merge strategy with it.
		if (spec.isolation !== 'worktree') delete spec.mergeStrategy;
		return {taskId: taskIds.get(id)!, spec, workflow: {id: input.workflowId, name: template.name, step: id}};
	});
}
