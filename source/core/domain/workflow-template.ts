import {z} from 'zod';
import {FleetError} from './errors.js';
import {taskSpecShape} from './task-spec.js';

/** What a template's and a step's name may be: it is typed on the command line and names a file. */
export const WORKFLOW_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;
const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/i;
/** A workflow wider than this is a mistake rather than a plan; the fleet would queue it all at once. */
export const MAX_WORKFLOW_STEPS = 50;

/** The task settings a step may set for itself; everything else comes from the workflow as a whole. */
const stepTaskFields = {
	priority: taskSpecShape.priority,
	timeoutMs: taskSpecShape.timeoutMs,
	maxBudgetUsd: taskSpecShape.maxBudgetUsd,
	onDependencyFailure: taskSpecShape.onDependencyFailure,
	mode: taskSpecShape.mode,
	isolation: taskSpecShape.isolation,
	mergeStrategy: taskSpecShape.mergeStrategy,
	model: taskSpecShape.model,
	permissionMode: taskSpecShape.permissionMode,
	allow: taskSpecShape.allow,
	deny: taskSpecShape.deny,
};

const stepSchema = z.strictObject({
	id: z.string().regex(STEP_ID_PATTERN, 'a step id is a letter, then letters, digits, - and _ (at most 40)'),
	role: z.string().min(1),
	prompt: z.string().min(1).describe('What the step does; {{goal}} stands for the goal the workflow was started with.'),
	dependsOn: z.array(z.string()).max(MAX_WORKFLOW_STEPS).optional(),
	...stepTaskFields,
});

const templateSchema = z.strictObject({
	name: z.string().regex(WORKFLOW_NAME_PATTERN, 'a workflow name is lower-case letters, digits, - and _, starting with a letter').optional(),
	description: z.string().min(1).max(500),
	steps: z.array(stepSchema).min(1).max(MAX_WORKFLOW_STEPS),
});

export type WorkflowStep = z.infer<typeof stepSchema>;

/** A workflow: steps, each a task in a role, that run as their dependencies allow. */
export type WorkflowTemplate = {
	name: string;
	description: string;
	steps: WorkflowStep[];
	/** `built-in`, or the file it was read from. */
	source: string;
};

/** A template file that cannot be used; the message names the file, the step and the fault. */
export class WorkflowTemplateError extends FleetError {
	constructor(
		readonly source: string,
		readonly step: string | undefined,
		readonly fault: string,
	) {
		super(`${source}: ${step === undefined ? '' : `step "${step}": `}${fault}`);
	}
}

/**
 * Reads a template from what a file held (or a built-in's literal) and checks it whole: its fields, unique step ids,
 * dependencies on steps that exist, no cycle, and roles the catalogue knows. `fallbackName` is the file's name
 * without its extension, used when the template names itself not. Throws WorkflowTemplateError.
 */
export function parseWorkflowTemplate(raw: unknown, options: {source: string; fallbackName: string; roles: readonly string[]}): WorkflowTemplate {
	const {source} = options;
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		throw new WorkflowTemplateError(source, undefined, 'a template is an object with description and steps (a list of {id, role, prompt, dependsOn}).');
	}
	const parsed = templateSchema.safeParse(raw, {reportInput: true});
	if (!parsed.success) throw schemaError(source, raw as Record<string, unknown>, parsed.error.issues[0]!);
	const {steps} = parsed.data;
	const name = parsed.data.name ?? options.fallbackName;
	if (!WORKFLOW_NAME_PATTERN.test(name)) {
		throw new WorkflowTemplateError(
			source,
			undefined,
			`the file name gives the workflow the name "${name}"; name it with lower-case letters, digits, - and _ (or set name).`,
		);
	}
	const ids = steps.map(step => step.id);
	const all = `(steps: ${ids.join(', ')})`;
	const seen = new Set<string>();
	for (const step of steps) {
		if (seen.has(step.id)) throw new WorkflowTemplateError(source, step.id, 'the step id is used twice; give each step its own id.');
		seen.add(step.id);
	}
	for (const step of steps) {
		for (const dependency of step.dependsOn ?? []) {
			if (dependency === step.id) throw new WorkflowTemplateError(source, step.id, 'depends on itself; a step can depend only on other steps.');
			if (!seen.has(dependency)) throw new WorkflowTemplateError(source, step.id, `depends on unknown step "${dependency}" ${all}`);
		}
		if (!options.roles.includes(step.role)) {
			throw new WorkflowTemplateError(
				source,
				step.id,
				`unknown role "${step.role}" (roles: ${options.roles.join(', ')}); define it in the roles/ folder beside workflows/, or use a known one.`,
			);
		}
		if (step.mergeStrategy !== undefined && step.isolation !== 'worktree') {
			throw new WorkflowTemplateError(source, step.id, 'mergeStrategy applies only with isolation "worktree"; add it, or leave mergeStrategy out.');
		}
	}
	const cycle = findCycle(steps);
	if (cycle) throw new WorkflowTemplateError(source, cycle[0], `the steps depend on each other in a circle: ${cycle.join(' → ')}. Remove one of these dependencies.`);
	return {name, description: parsed.data.description, steps, source};
}

/** The first circle of dependencies, as step ids from a step back to itself; undefined when there is none. */
export function findCycle(steps: readonly Pick<WorkflowStep, 'id' | 'dependsOn'>[]): string[] | undefined {
	const byId = new Map(steps.map(step => [step.id, step]));
	const state = new Map<string, 'visiting' | 'done'>();
	const path: string[] = [];
	const visit = (id: string): string[] | undefined => {
		if (state.get(id) === 'done') return undefined;
		if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
		state.set(id, 'visiting');
		path.push(id);
		for (const dependency of byId.get(id)?.dependsOn ?? []) {
			const found = visit(dependency);
			if (found) return found;
		}
		path.pop();
		state.set(id, 'done');
		return undefined;
	};
	for (const step of steps) {
		const found = visit(step.id);
		if (found) return found;
	}
	return undefined;
}

/** The steps in an order where each comes after everything it depends on (the template's own order where free). */
export function stepsInOrder(steps: readonly WorkflowStep[]): WorkflowStep[] {
	const placed = new Set<string>();
	const ordered: WorkflowStep[] = [];
	while (ordered.length < steps.length) {
		const next = steps.find(step => !placed.has(step.id) && (step.dependsOn ?? []).every(dependency => placed.has(dependency)));
		if (!next) throw new Error('stepsInOrder: the steps have a cycle; parseWorkflowTemplate refuses such a template.');
		placed.add(next.id);
		ordered.push(next);
	}
	return ordered;
}

/** One sentence for a schema fault: the step it is in (by id when it has one), the field, and what is wrong. */
function schemaError(source: string, raw: Record<string, unknown>, issue: z.core.$ZodIssue): WorkflowTemplateError {
	const [top, index, field] = issue.path;
	let step: string | undefined;
	let where = top === undefined ? undefined : String(top);
	if (top === 'steps' && typeof index === 'number') {
		const id = (raw['steps'] as Record<string, unknown>[] | undefined)?.[index]?.['id'];
		step = typeof id === 'string' && id ? id : `#${index + 1}`;
		where = field === undefined ? undefined : String(field);
	}
	const accepted = step === undefined ? Object.keys(templateSchema.shape) : Object.keys(stepSchema.shape);
	let fault: string;
	if (issue.code === 'unrecognized_keys') fault = `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')} (accepted: ${accepted.join(', ')}).`;
	else if (issue.code === 'invalid_type' && issue.input === undefined) fault = `missing field "${where}".`;
	else if (issue.code === 'invalid_type' && step !== undefined && where === undefined) fault = 'a step is an object with id, role, prompt and dependsOn.';
	else if (issue.code === 'invalid_value') fault = `${where} ${JSON.stringify(issue.input)} is not accepted; use one of ${issue.values.map(String).join(', ')}.`;
	else if (issue.code === 'too_small' && where === 'steps') fault = 'steps is empty; a workflow needs at least one step.';
	else fault = `${where ?? 'the template'}: ${issue.message}.`;
	return new WorkflowTemplateError(source, step, fault);
}
