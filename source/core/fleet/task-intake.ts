// How new tasks come in: checking a spec as submit does, creating the task and queueing it (or, with several hosts,
// leaving it in the shared store for any host to claim), asking the repository first (submitChecked), and a finished
// task's retry and resume. The Fleet's submit, submitChecked, retry and resume, and a workflow's steps, come here.
import {FleetStoppedError, InvalidInputError, messageOf} from '../domain/errors.js';
import {builtInRole} from '../domain/roles.js';
import {createTask, isTerminal, type Task} from '../domain/task.js';
import {validateTaskInput} from '../domain/task-input.js';
import {specOf, type TaskSpec} from '../domain/task-spec.js';
import {findRole, type WorkflowCatalog} from '../domain/workflow-catalog.js';
import type {FleetParts} from './assembly.js';
import type {FleetPorts} from './options.js';
import {checkPlacement} from './placement.js';
import {CONTINUE_PROMPT, retellPrompt} from './worker-prompt.js';

/** What task intake needs of the fleet's parts and ports. */
export type TaskIntakeNeeds = Pick<FleetParts, 'options' | 'ledger' | 'admission' | 'shared' | 'pump' | 'enqueueWhenReady' | 'canResume'> & {
	ports: Pick<FleetPorts, 'ids' | 'clock' | 'workspaces' | 'coordinator'>;
	/** Whether the fleet is stopping or stopped (it takes no new work then). */
	isStopping: () => boolean;
	catalog: () => WorkflowCatalog;
};

export class TaskIntake {
	readonly #parts: TaskIntakeNeeds;

	constructor(needs: TaskIntakeNeeds) {
		this.#parts = needs;
	}

	/** `extra` (lineage, a session to resume, a workflow's id for it) is part of the task from its first write, before it can start. */
	create(input: TaskSpec, extra: Partial<Task>): Task {
		const {ports, ledger, admission} = this.#parts;
		const spec = this.validate(input);
		const ids = {id: extra.id ?? ports.ids.taskId(), sessionId: ports.ids.sessionId()};
		const task: Task = {...createTask(spec, ids, ports.clock.now(), this.#parts.options.defaults), ...extra};
		if (this.#parts.shared) {
			// Any host may take it; this one usually does first, on its next pump, when it has room.
			ledger.insertUnheld(task);
			admission.defer(() => this.#parts.pump());
			return ledger.get(task.id);
		}
		ledger.insert(task);
		this.#parts.enqueueWhenReady(task);
		// The caller (delegate_task) answers once the task is stored; its worker starts on the next turn.
		admission.defer(() => this.#parts.pump());
		return ledger.get(task.id);
	}

	/** Everything submit checks; `planned` are tasks of a workflow about to be created, which its steps may depend on. */
	validate(input: TaskSpec, planned: ReadonlySet<string> = new Set()): TaskSpec {
		const {ports, options, ledger} = this.#parts;
		if (this.#parts.isStopping()) throw new FleetStoppedError();
		const spec = validateTaskInput(input, {maxPromptChars: options.maxPromptChars, isKnownTask: id => planned.has(id) || ledger.find(id) !== undefined});
		// A built-in role needs no look at the user's files; any other must be defined there.
		if (spec.role !== undefined && !builtInRole(spec.role)) findRole(this.#parts.catalog(), spec.role);
		if (spec.isolation === 'worktree' && !ports.workspaces) {
			throw new InvalidInputError('Worktree isolation is not available in this ccfleet (no git). Run the task without isolation.');
		}
		// Shared: another host may match the pin (or join later). Alone: a pin this host does not match could never start.
		if (!ports.coordinator) checkPlacement(spec, options.host);
		return spec;
	}

	/** create, after asking the repository what an isolated task needs (see Fleet.submitChecked). */
	async createChecked(input: TaskSpec): Promise<Task> {
		const spec = validateTaskInput(input, {maxPromptChars: this.#parts.options.maxPromptChars, isKnownTask: id => this.#parts.ledger.find(id) !== undefined});
		return this.create(await this.checkRepository(spec), {});
	}

	/**
	 * The spec with what the repository says an isolated task needs filled in (the base branch: the checkout's current
	 * one when none was given); InvalidInputError saying what is missing. `looks`: answers had already, by directory and
	 * merge settings (a workflow's steps mostly share them, and a look may ask gh).
	 */
	async checkRepository(spec: TaskSpec, looks = new Map<string, Promise<{base?: string}>>()): Promise<TaskSpec> {
		const workspaces = this.#parts.ports.workspaces;
		if (spec.isolation !== 'worktree' || !workspaces) return spec;
		const options = {strategy: spec.mergeStrategy ?? 'manual', ...(spec.base ? {base: spec.base} : {})};
		const key = JSON.stringify([spec.cwd, options]);
		if (!looks.has(key)) looks.set(key, workspaces.check(spec.cwd, options));
		const checked = await looks.get(key)!.catch((error: unknown) => {
			throw new InvalidInputError(messageOf(error));
		});
		return checked.base ? {...spec, base: checked.base} : spec;
	}

	/** A finished task run again from scratch as a new task (see Fleet.retry). */
	retry(id: string): Task {
		const original = this.#ended(id, 'retry');
		return this.create(specOf(original), {retryOf: original.id, ...stepOf(original)});
	}

	/** A finished task continued as a new task, resuming its conversation when it is on disk (see Fleet.resume). */
	resume(id: string, additionalContext?: string): Task {
		const parent = this.#ended(id, 'resume');
		const context = additionalContext?.trim();
		const spec = specOf(parent);
		if (this.#parts.canResume(parent)) {
			return this.create({...spec, prompt: context || CONTINUE_PROMPT}, {parentTaskId: parent.id, sessionId: parent.sessionId, resumePending: true, ...stepOf(parent)});
		}
		return this.create({...spec, prompt: retellPrompt(parent, context)}, {parentTaskId: parent.id, ...stepOf(parent)});
	}

	#ended(id: string, action: string): Task {
		const task = this.#parts.ledger.get(id);
		if (!isTerminal(task.status)) {
			throw new InvalidInputError(`Task ${id} is still ${task.status}; only a finished task can ${action}. Cancel it first, or wait for it.`);
		}
		return task;
	}
}

/** A workflow step run again stays that step of its workflow: its dependencies' checkpoints, its place in the DAG, cancel. */
function stepOf(task: Task): Partial<Task> {
	return task.workflow ? {workflow: task.workflow} : {};
}
