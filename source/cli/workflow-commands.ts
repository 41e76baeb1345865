import {readFileSync} from 'node:fs';
import type {Config} from '../config.js';
import {isWorkflowId, WORKFLOW_ID_PREFIX} from '../core/domain/workflow-expansion.js';
import type {WorkflowTemplateView} from '../protocol/tool-results.js';
import type {TaskView} from '../protocol/views.js';
import {CliError, stdout, withFleet, type Output} from './client.js';
import {wait} from './commands.js';
import {settingsFromFlags} from './task-flags.js';

export type WorkflowFlags = Record<string, unknown> & {json: boolean; wait?: boolean; file?: string};

const stderr: Output = {out: text => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)};

/** Task settings that belong to each step, never to the workflow as a whole. */
const STEP_OWN_FLAGS = [
	['role', '--role'],
	['dependsOn', '--depends-on'],
	['continueFrom', '--continue-from'],
] as const;

/** `ccfleet workflow <template> "<goal>"`, `ccfleet workflow list`, `ccfleet workflow cancel <id> [reason]`. */
export async function workflow(config: Config, input: string[], flags: WorkflowFlags, io: Output = stdout, notes: Output = stderr): Promise<number> {
	const [first, ...rest] = input;
	switch (first) {
		case undefined:
			throw new CliError(
				'ccfleet workflow needs a template and a goal (ccfleet workflow feature "Add CSV export"), or list, or cancel <id>. See ccfleet workflow --help.',
			);
		case 'list':
			return listTemplates(config, flags, io);
		case 'cancel': {
			const id = rest[0];
			if (!id) throw new CliError('ccfleet workflow cancel needs a workflow id (wf-…). `ccfleet status` shows it beside each step.');
			const reason = rest.slice(1).join(' ').trim();
			return withFleet(config, async fleet => {
				if (!isWorkflowId(id)) throw new CliError(`"${id}" is not a workflow id (they start with ${WORKFLOW_ID_PREFIX}); cancel one task with ccfleet cancel ${id}.`);
				const result = await fleet.call('cancel_task', {id, ...(reason ? {reason} : {})});
				const steps = result.tasks ?? [result.task];
				io.out(flags.json ? JSON.stringify(steps, null, 2) : `Workflow ${id} (${steps[0]?.workflow?.name ?? ''}):\n${stepTable(steps)}`);
				return 0;
			});
		}
		default:
			return startWorkflow(config, first, rest, flags, io, notes);
	}
}

async function startWorkflow(config: Config, template: string, words: string[], flags: WorkflowFlags, io: Output, notes: Output): Promise<number> {
	const parts = words.length > 0 ? [words.join(' ')] : [];
	if (flags.file) {
		try {
			parts.push(readFileSync(flags.file, 'utf8'));
		} catch (error) {
			throw new CliError(`Cannot read the goal file ${flags.file}: ${(error as Error).message}`);
		}
	}
	const goal = parts.join('\n\n');
	if (!goal.trim()) throw new CliError(`No goal given. Say what the workflow is for: ccfleet workflow ${template} "Add CSV export to the report page" (or --file <path>).`);
	const {wait: shouldWait, json, file: _file, ...taskFlags} = flags;
	const settings: Record<string, unknown> = settingsFromFlags(taskFlags);
	for (const [field, flag] of STEP_OWN_FLAGS) {
		if (settings[field] !== undefined) throw new CliError(`ccfleet workflow takes no ${flag}: each step of the template has its own. Leave ${flag} out.`);
	}
	return withFleet(config, async fleet => {
		const result = await fleet.call('create_workflow', {...settings, template, goal});
		if (json && !shouldWait) {
			io.out(JSON.stringify(result, null, 2));
			return 0;
		}
		// The id alone on stdout, as delegate does, so that WF=$(ccfleet workflow …) works; the steps are for the person.
		if (!json) io.out(result.workflow.id);
		notes.out(`Workflow ${result.workflow.id} (${result.workflow.name}) has ${result.tasks.length} steps:\n${stepTable(result.tasks)}`);
		if (!shouldWait) return 0;
		return wait(
			config,
			result.tasks.map(task => task.id),
			{json},
			io,
		);
	});
}

async function listTemplates(config: Config, flags: WorkflowFlags, io: Output): Promise<number> {
	return withFleet(config, async fleet => {
		const {templates, faults} = await fleet.call('list_workflow_templates', {});
		if (flags.json) {
			io.out(JSON.stringify({templates, faults}, null, 2));
			return 0;
		}
		io.out(formatTemplates(templates, faults));
		return 0;
	});
}

/** Each template with its steps as `design(architect) → implement(implementer)`, then the files that cannot be used. */
export function formatTemplates(templates: readonly WorkflowTemplateView[], faults: readonly string[]): string {
	const lines: string[] = [];
	for (const template of templates) {
		lines.push(`${template.name}${template.source === 'built-in' ? '' : `  (${template.source})`}`, `    ${template.description}`);
		for (const step of template.steps) {
			lines.push(`    ${step.id} (${step.role})${step.dependsOn.length ? ` after ${step.dependsOn.join(', ')}` : ''}`);
		}
	}
	if (faults.length > 0) lines.push('', 'Cannot be used (fix the file):', ...faults.map(fault => `  ${fault}`));
	return lines.join('\n');
}

/** One line per step: its task, status, role and what it waits for. */
export function stepTable(tasks: readonly TaskView[]): string {
	const byId = new Map(tasks.map(task => [task.id, task.workflow?.step ?? task.id]));
	const width = Math.max(...tasks.map(task => (task.workflow?.step ?? '').length), 4);
	return tasks
		.map(task => {
			const after = (task.dependsOn ?? []).map(id => byId.get(id) ?? id);
			return `  ${(task.workflow?.step ?? '').padEnd(width)}  ${task.id}  ${task.status.padEnd(9)}  ${(task.role ?? '').padEnd(11)}${after.length ? `  after ${after.join(', ')}` : ''}`;
		})
		.join('\n');
}
