import {InvalidInputError} from '../domain/errors.js';
import type {Task} from '../domain/task.js';
import type {TaskSpec} from '../domain/task-spec.js';
import {findTemplate, type WorkflowCatalog} from '../domain/workflow-catalog.js';
import {expandWorkflow, MAX_GOAL_CHARS, WORKFLOW_ID_PREFIX, type PlannedStep, type WorkflowSettings} from '../domain/workflow-expansion.js';

/** What starts a workflow: a template's name, the goal every step works towards, and settings for every step. */
export type WorkflowRequest = {template: string; goal: string} & WorkflowSettings;

/** A workflow just made: its id and name, and its steps' tasks, dependencies first. */
export type StartedWorkflow = {id: string; name: string; tasks: Task[]};

export type WorkflowStarterPorts = {
	catalog: WorkflowCatalog;
	newTaskId(): string;
	/** Checks a spec as submit does; `planned` are ids of the workflow's own tasks, known though not yet created. */
	validate(spec: TaskSpec, planned: ReadonlySet<string>): TaskSpec;
	/** Asks the repository what an isolated step needs (as delegate_task does), filling in what it found (the base branch). */
	checkRepository(spec: TaskSpec): Promise<TaskSpec>;
	/** Creates a task whose spec passed `validate`, with these fields besides (its id, its workflow). */
	create(spec: TaskSpec, extra: Partial<Task>): Task;
	/** Takes back a task made before a later step's task could not be (cancels it). */
	discard(task: Task, reason: string): void;
};

/**
 * Expands a template into one task per step and creates them all or none: every step's spec is checked first (a
 * fault names the step), and only then are the tasks made, dependencies first, each knowing its workflow and step.
 */
export async function startWorkflow(request: WorkflowRequest, ports: WorkflowStarterPorts): Promise<StartedWorkflow> {
	const {template: name, goal, ...settings} = request;
	const trimmed = typeof goal === 'string' ? goal.trim() : '';
	if (!trimmed) throw new InvalidInputError('The goal is empty. Say what the workflow is for, e.g. "Add CSV export to the report page".');
	if (trimmed.length > MAX_GOAL_CHARS) throw new InvalidInputError(`The goal has ${trimmed.length} characters; at most ${MAX_GOAL_CHARS} are accepted.`);
	const template = findTemplate(ports.catalog, name);
	const workflowId = `${WORKFLOW_ID_PREFIX}${ports.newTaskId()}`;
	const planned = expandWorkflow(template, {goal: trimmed, settings, workflowId, newTaskId: () => ports.newTaskId()});
	const plannedIds = new Set(planned.map(step => step.taskId));
	const checked: PlannedStep[] = [];
	for (const step of planned) {
		try {
			checked.push({...step, spec: await ports.checkRepository(ports.validate(step.spec, plannedIds))});
		} catch (error) {
			if (!(error instanceof InvalidInputError)) throw error;
			throw new InvalidInputError(`Workflow "${template.name}", step "${step.workflow.step}": ${error.message}`);
		}
	}
	const tasks: Task[] = [];
	try {
		for (const step of checked) tasks.push(ports.create(step.spec, {id: step.taskId, workflow: step.workflow}));
	} catch (error) {
		for (const task of tasks) ports.discard(task, `workflow ${workflowId} could not be created whole: ${(error as Error).message}`);
		throw error;
	}
	return {id: workflowId, name: template.name, tasks};
}
