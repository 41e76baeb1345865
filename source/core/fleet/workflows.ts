// The fleet's workflows (`fleet.workflows`): the catalog of roles and templates, starting a workflow (one task per step
// of a template, all or none), its tasks, and cancelling what is left of it.
import {InvalidInputError} from '../domain/errors.js';
import {isTerminal, type CancelRequest, type Task} from '../domain/task.js';
import type {TaskSpec} from '../domain/task-spec.js';
import {buildCatalog, findTemplate, type WorkflowCatalog} from '../domain/workflow-catalog.js';
import type {UserDefinitions} from '../ports/workflow-catalog.js';
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
async function startWorkflow(request: WorkflowRequest, ports: WorkflowStarterPorts): Promise<StartedWorkflow> {
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

/** What the workflows face needs of the fleet: its ports, and how it checks, creates, lists and cancels tasks. */
export type WorkflowsPorts = {
	userDefinitions: UserDefinitions | undefined;
	newTaskId(): string;
	/** WorkflowStarterPorts.checkRepository, with the looks of this workflow's earlier steps. */
	checkRepository(spec: TaskSpec, looks: Map<string, Promise<{base?: string}>>): Promise<TaskSpec>;
	/** Every task the fleet knows. */
	tasks(): Task[];
	/** Whether the task has a live worker on this host. */
	hasWorker(id: string): boolean;
} & Pick<WorkflowStarterPorts, 'validate' | 'create'> & {cancel(id: string, how: CancelRequest): Promise<Task>};

export class Workflows {
	readonly #ports: WorkflowsPorts;

	constructor(ports: WorkflowsPorts) {
		this.#ports = ports;
	}

	/** Every role and workflow template: the built-in ones and the user's (read afresh), with the faults of files that cannot be used. */
	catalog(): WorkflowCatalog {
		const user = this.#ports.userDefinitions;
		return buildCatalog(user ? {roles: user.roles(), workflows: user.workflows(), directory: user.directory} : undefined);
	}

	/**
	 * Starts a workflow: one task per step of the template, created all at once or not at all, each depending on its
	 * steps' tasks and told their checkpoints when it starts. An isolated step's repository is checked as
	 * submitChecked does. Rejects with InvalidInputError naming the step at fault.
	 */
	create(request: WorkflowRequest): Promise<StartedWorkflow> {
		// One look per directory and merge settings: the steps of a workflow mostly share them, and a look may ask gh.
		const looks = new Map<string, Promise<{base?: string}>>();
		return startWorkflow(request, {
			catalog: this.catalog(),
			newTaskId: () => this.#ports.newTaskId(),
			validate: (spec, planned) => this.#ports.validate(spec, planned),
			checkRepository: spec => this.#ports.checkRepository(spec, looks),
			create: (spec, extra) => this.#ports.create(spec, extra),
			discard: (task, reason) => void this.#ports.cancel(task.id, {by: 'ccfleet', reason}).catch(() => undefined),
		});
	}

	/** A workflow's tasks, dependencies first; throws InvalidInputError when no task has that workflow id. */
	tasks(id: string): Task[] {
		const tasks = this.#ports.tasks().filter(task => task.workflow?.id === id);
		if (tasks.length === 0) throw new InvalidInputError(`No workflow with id "${id}". Its id (wf-…) is shown by \`ccfleet status\` beside each of its steps.`);
		return tasks;
	}

	/**
	 * Cancels every step of a workflow that has not ended; resolves with all its tasks in their final state. The last
	 * steps go first, so that a dependent is cancelled rather than failed by its dependency's end.
	 */
	async cancel(id: string, how: CancelRequest): Promise<Task[]> {
		const open = () => this.tasks(id).filter(task => !isTerminal(task.status));
		for (const task of open().reverse()) if (!this.#ports.hasWorker(task.id)) await this.#ports.cancel(task.id, how);
		await Promise.all(open().map(task => this.#ports.cancel(task.id, how)));
		return this.tasks(id);
	}
}
