import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import type {Task} from '../../core/domain/task.js';
import type {WorkflowTemplate} from '../../core/domain/workflow-template.js';
import type {Fleet} from '../../core/fleet.js';
import {workflowResultSchema, workflowTemplatesResultSchema, type WorkflowTemplateView} from '../../protocol/tool-results.js';
import {taskView} from '../task-view.js';
import {listedInput, mcpTaskShape} from './task-shape.js';
import {taskDirectory} from './task-tools.js';
import {failure, guard, ok} from './tool-result.js';

/** A workflow shares every setting of a task with all its steps, but not what makes each step itself. */
const {prompt: _prompt, dependsOn: _dependsOn, continueFrom: _continueFrom, role: _role, ...workflowSettings} = mcpTaskShape;

export function templateView(template: WorkflowTemplate): WorkflowTemplateView {
	return {
		name: template.name,
		description: template.description,
		source: template.source,
		steps: template.steps.map(step => ({id: step.id, role: step.role, dependsOn: step.dependsOn ?? []})),
	};
}

/** `design → implement → test, document → review`: the steps by their dependencies, for a one-line answer. */
function stepLine(tasks: readonly Task[]): string {
	return tasks.map(task => `${task.workflow?.step ?? task.id} ${task.id} (${task.status})`).join(', ');
}

/** create_workflow and list_workflow_templates; cancel_task takes a workflow's id to cancel it. */
export function registerWorkflowTools(server: McpServer, fleet: Fleet): void {
	server.registerTool(
		'create_workflow',
		{
			outputSchema: workflowResultSchema,
			title: 'Start a workflow of role tasks',
			description: 'Runs a workflow template: a role task per step, each after its dependencies. Takes delegate_task fields.',
			inputSchema: listedInput(
				{
					template: z.string().min(1).max(100).describe('e.g. feature, bug-fix.'),
					goal: z.string().min(1),
					// Described in delegate_task: the calling session's directory by default.
					cwd: z.string().min(1).max(4096).optional(),
				},
				workflowSettings,
			),
		},
		async ({template, goal, cwd, ...settings}) =>
			guard(async () => {
				const directory = await taskDirectory(server, cwd);
				if ('error' in directory) return failure(directory.error);
				const started = await fleet.workflows.create({...settings, template, goal, cwd: directory.cwd});
				// A shared store writes behind: the answer promises every step is in the database, as delegate_task's does.
				await fleet.flush();
				const tasks = started.tasks.map(task => taskView(fleet, fleet.get(task.id), {promptChars: 200}));
				return ok(
					{workflow: {id: started.id, name: started.name}, tasks},
					`Workflow ${started.id} (${started.name}) created ${tasks.length} tasks: ${stepLine(started.tasks)}. Wait for the last with wait_for_task {"ids":["${tasks.at(-1)!.id}"]}; cancel_task {"id":"${started.id}"} stops them all.`,
				);
			}),
	);

	server.registerTool(
		'list_workflow_templates',
		{
			outputSchema: workflowTemplatesResultSchema,
			title: 'Workflow templates',
			description: "create_workflow's templates: steps, roles, dependencies.",
			inputSchema: {},
			annotations: {readOnlyHint: true},
		},
		async () =>
			guard(() => {
				const catalog = fleet.workflows.catalog();
				const templates = catalog.templates.map(templateView);
				const faults = catalog.faults.filter(fault => fault.kind === 'workflow').map(fault => fault.message);
				return ok(
					{templates, faults},
					`${templates.length} templates: ${templates.map(known => known.name).join(', ')}.${faults.length ? ` ${faults.length} file(s) cannot be used: ${faults.join(' ')}` : ''}`,
				);
			}),
	);
}
