import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectMcpClient, type McpClientConnection} from '../../source/mcp/socket-client.js';
import type {WorkflowTemplateView} from '../../source/protocol/tool-results.js';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';

// Workflows with the real claude on the mock API: over the CLI and over MCP through the core's socket, with the
// user's own template and role read from XDG_CONFIG_HOME.
let sandbox: Sandbox;
let connection: McpClientConnection;
let configHome: string;
const workflowsDirectory = () => path.join(configHome, 'ccfleet', 'workflows');

beforeAll(async () => {
	configHome = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-config-'));
	mkdirSync(workflowsDirectory(), {recursive: true});
	mkdirSync(path.join(configHome, 'ccfleet', 'roles'), {recursive: true});
	writeFileSync(path.join(configHome, 'ccfleet', 'roles', 'pilot.md'), 'You are the pilot. You fly the release.\n');
	writeFileSync(
		path.join(workflowsDirectory(), 'ship.yaml'),
		[
			'description: Plan, then fly',
			'steps:',
			'  - {id: plan, role: architect, prompt: "Plan {{goal}} [[reply:PLAN-42 chosen]]"}',
			'  - {id: fly, role: pilot, prompt: "Fly {{goal}} [[reply:LANDED-7]]", dependsOn: [plan]}',
		].join('\n'),
	);
	writeFileSync(
		path.join(workflowsDirectory(), 'release.yaml'),
		'description: Release\nsteps:\n  - {id: build, role: implementer, prompt: b}\n  - {id: deploy, role: devops, prompt: d, dependsOn: [buidl]}\n',
	);
	sandbox = await createSandbox({CCFLEET_MAX_WORKERS: '3', XDG_CONFIG_HOME: configHome});
	await sandbox.startDaemon();
	connection = await connectMcpClient(path.join(sandbox.home, 'run', 'ccfleet.sock'), {name: 'workflow-test'});
});

afterAll(async () => {
	await connection?.close();
	await sandbox?.cleanup();
	rmSync(configHome, {recursive: true, force: true});
});

async function call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
	const result = await connection.client.callTool({name, arguments: args}, undefined, {timeout: 60_000});
	if (result.isError) throw new Error(JSON.stringify(result.content));
	return result.structuredContent as T;
}

async function waitAll(ids: string[]): Promise<TaskView[]> {
	for (;;) {
		const result = await call<{tasks: TaskView[]; allDone: boolean}>('wait_for_task', {ids});
		if (result.allDone) return result.tasks;
	}
}

/** The request a step's worker sent first: the one whose body holds the step's own words. */
function requestOf(words: string): string {
	const body = sandbox.mock
		.mainRequests()
		.map(request => JSON.stringify(request.body))
		.find(text => text.includes(words));
	if (body === undefined) throw new Error(`no request to the mock holds "${words}"`);
	return body;
}

/** A text as it appears inside a JSON-encoded body. */
const encoded = (text: string) => JSON.stringify(text).slice(1, -1);

/** Every step started only after each of its dependencies had completed. */
function expectDependencyOrder(tasks: readonly TaskView[]): void {
	const byId = new Map(tasks.map(task => [task.id, task]));
	for (const task of tasks) {
		expect(task.status).toBe('completed');
		for (const dependency of task.dependsOn ?? []) {
			expect(Date.parse(task.startedAt!), `${task.workflow?.step} starts after ${byId.get(dependency)?.workflow?.step} ended`).toBeGreaterThanOrEqual(
				Date.parse(byId.get(dependency)!.endedAt!),
			);
		}
	}
}

describe('workflows with the real claude', () => {
	// The first four run side by side: each follows workflows of its own (told apart by id and by the goal in their
	// prompts) on the one core; the cancel test comes after them.
	it.concurrent('lists the built-in templates, the user template, and names the file and step of a bad one', async () => {
		const {templates, faults} = await call<{templates: WorkflowTemplateView[]; faults: string[]}>('list_workflow_templates', {});
		expect(templates.map(template => template.name)).toEqual(['feature', 'bug-fix', 'refactor', 'code-review', 'ship']);
		expect(templates[0]!.steps.map(step => `${step.id}:${step.role}<${step.dependsOn.join('+')}`)).toEqual([
			'design:architect<',
			'implement:implementer<design',
			'test:tester<implement',
			'document:documenter<implement',
			'review:reviewer<test+document',
		]);
		expect(faults).toEqual([`${path.join(workflowsDirectory(), 'release.yaml')}: step "deploy": depends on unknown step "buidl" (steps: build, deploy)`]);
		const refused = await sandbox.cli(['workflow', 'release', 'ship v2']);
		expect(refused.exitCode).toBe(1);
		expect(refused.stderr).toContain(`release.yaml: step "deploy": depends on unknown step "buidl"`);
		const refusal = async (args: Record<string, unknown>) => {
			const result = await connection.client.callTool({name: 'create_workflow', arguments: {cwd: sandbox.project, ...args}});
			expect(result.isError).toBe(true);
			return (result.content as Array<{text: string}>)[0]!.text;
		};
		expect(await refusal({template: 'feature', goal: 'x', role: 'tester'})).toMatch(
			/^Unknown field role\b.* create_workflow accepts: cwd, priority, .*, template, goal\.$/,
		);
		expect(await refusal({template: 'shipping', goal: 'x'})).toBe(
			`Unknown workflow "shipping". Workflows: feature, bug-fix, refactor, code-review, ship (\`ccfleet workflow list\`); a new one goes in ${workflowsDirectory()}/shipping.yaml.`,
		);
		expect(await refusal({template: 'ship', goal: 'x', isolation: 'worktree'})).toMatch(/^Workflow "ship", step "plan": /);
		const {roles} = await call<{roles: Array<{name: string; instructions: string}>}>('list_roles', {});
		expect(roles.find(role => role.name === 'pilot')?.instructions).toBe('You are the pilot. You fly the release.');
		const delegated = await connection.client.callTool({name: 'delegate_task', arguments: {prompt: 'fly', cwd: sandbox.project, role: 'astronaut'}});
		expect(delegated.isError).toBe(true);
		expect((delegated.content as Array<{text: string}>)[0]!.text).toBe(
			`Unknown role "astronaut". Roles: architect, implementer, tester, reviewer, devops, documenter, generalist, pilot; a new one goes in ${configHome}/ccfleet/roles/astronaut.md (its instructions) or .yaml ({title, prompt}).`,
		);
		const cliRole = await sandbox.cli(['delegate', 'fly', '--role', 'astronaut']);
		expect(cliRole.exitCode).toBe(1);
		expect(cliRole.stderr).toMatch(/^ccfleet: Unknown role "astronaut"\. Roles: architect, .*, pilot; a new one goes in /);
		const listed = await sandbox.cli(['workflow', 'list']);
		expect(listed.stdout).toContain('review (reviewer) after test, document');
		expect(listed.stdout).toContain('Cannot be used (fix the file):');
	});

	it.concurrent('runs the feature workflow from the CLI: every step after its dependencies, each request carrying their checkpoints', {timeout: 300_000}, async () => {
		const started = await sandbox.cli(['workflow', 'feature', 'Add CSV export [[reply:step done]]', '--priority', 'P0']);
		expect(started.exitCode, started.stderr).toBe(0);
		const workflowId = started.stdout.trim();
		expect(workflowId).toMatch(/^wf-/);
		expect(started.stderr).toContain(`Workflow ${workflowId} (feature) has 5 steps:`);
		const {tasks: created} = await call<{tasks: TaskView[]}>('task_status', {});
		const steps = created.filter(task => task.workflow?.id === workflowId);
		expect(steps.map(task => [task.workflow?.step, task.role, task.priority])).toEqual([
			['design', 'architect', 'P0'],
			['implement', 'implementer', 'P0'],
			['test', 'tester', 'P0'],
			['document', 'documenter', 'P0'],
			['review', 'reviewer', 'P0'],
		]);
		const tasks = await waitAll(steps.map(task => task.id));
		expectDependencyOrder(tasks);
		const [design, implement, test, document] = tasks;
		const checkpointOf = (task: TaskView) => encoded(`## Step "${task.workflow!.step}" (${task.role}), task ${task.id}, completed\n\nIts result:\nstep done`);
		const request = {
			design: requestOf(encoded('Design how to build this feature: Add CSV export')),
			implement: requestOf(encoded('Implement this feature following the design: Add CSV export')),
			test: requestOf(encoded('Write and run tests for the feature just implemented: Add CSV export')),
			document: requestOf(encoded('Document the feature just implemented for its users: Add CSV export')),
			review: requestOf(encoded('Review the whole change (code, tests, documentation) made for: Add CSV export')),
		};
		expect(request.design).not.toContain('## Step');
		expect(request.design).toContain('You are the architect.');
		expect(request.implement).toContain(checkpointOf(design!));
		expect(request.test).toContain(checkpointOf(implement!));
		expect(request.document).toContain(checkpointOf(implement!));
		expect(request.review).toContain(checkpointOf(test!));
		expect(request.review).toContain(checkpointOf(document!));
		expect(request.review).toContain('You are the reviewer.');
		expect((await sandbox.cli(['status'])).stdout).toMatch(new RegExp(`${tasks[4]!.id} +completed .*\\[feature:review\\] Review the whole change`));
		const status = await sandbox.cli(['status', tasks[4]!.id]);
		expect(status.stdout).toMatch(new RegExp(`workflow +feature ${workflowId}, step review`));
	});

	it.concurrent("runs a user template with a user role over MCP, the second step told the first one's result", {timeout: 180_000}, async () => {
		const {workflow, tasks} = await call<{workflow: {id: string; name: string}; tasks: TaskView[]}>('create_workflow', {
			template: 'ship',
			goal: 'the v2 release',
			cwd: sandbox.project,
		});
		expect(workflow).toMatchObject({name: 'ship', id: expect.stringMatching(/^wf-/)});
		expect(tasks.map(task => [task.workflow?.step, task.role])).toEqual([
			['plan', 'architect'],
			['fly', 'pilot'],
		]);
		const done = await waitAll(tasks.map(task => task.id));
		expectDependencyOrder(done);
		expect(done.map(task => task.result)).toEqual(['PLAN-42 chosen', 'LANDED-7']);
		const fly = requestOf(encoded('Fly the v2 release'));
		expect(fly).toContain(encoded(`## Step "plan" (architect), task ${tasks[0]!.id}, completed\n\nIts result:\nPLAN-42 chosen`));
		expect(fly).toContain('You are the pilot. You fly the release.');
	});

	it.concurrent("waits for a workflow from the CLI with --wait and prints each step's outcome", {timeout: 180_000}, async () => {
		const run = await sandbox.cli(['workflow', 'ship', 'the v3 release', '--wait']);
		expect(run.exitCode, run.stderr).toBe(0);
		const [id, ...outcomes] = run.stdout.trim().split('\n');
		expect(id).toMatch(/^wf-/);
		expect(outcomes).toEqual([expect.stringMatching(/^\w+ completed: PLAN-42 chosen$/), expect.stringMatching(/^\w+ completed: LANDED-7$/)]);
		expect(run.stderr).toMatch(/fly +\w+ +queued +pilot +after plan/);
	});

	it('cancels every step of a workflow, the running one and those waiting', {timeout: 120_000}, async () => {
		const started = await sandbox.cli(['workflow', 'bug-fix', 'Hang on [[slow:120000]]']);
		expect(started.exitCode, started.stderr).toBe(0);
		const workflowId = started.stdout.trim();
		const stepsOf = async () => (await call<{tasks: TaskView[]}>('task_status', {})).tasks.filter(task => task.workflow?.id === workflowId);
		await waitFor('the first step to run', async () => (await stepsOf()).some(task => task.status === 'running'), 60_000);
		const cancelled = await sandbox.cli(['workflow', 'cancel', workflowId, 'changed our minds']);
		expect(cancelled.exitCode, cancelled.stderr).toBe(0);
		expect(cancelled.stdout).toContain(`Workflow ${workflowId} (bug-fix):`);
		const steps = await stepsOf();
		expect(steps.map(task => [task.workflow?.step, task.status, task.failureReason])).toEqual([
			['reproduce', 'cancelled', 'changed our minds'],
			['fix', 'cancelled', 'changed our minds'],
			['verify', 'cancelled', 'changed our minds'],
			['review', 'cancelled', 'changed our minds'],
		]);
		expect(steps.every(task => task.cancelledBy === 'cli')).toBe(true);
		// ccfleet cancel takes a workflow's id as well, and says where each step ended.
		const other = (await sandbox.cli(['workflow', 'code-review', 'Hang on [[slow:120000]]'])).stdout.trim();
		const plain = await sandbox.cli(['cancel', other, 'not now']);
		expect(plain.exitCode, plain.stderr).toBe(0);
		expect(plain.stdout.split('\n')).toEqual([
			expect.stringMatching(/^\w+ cancelled \(not now\)$/),
			expect.stringMatching(/^\w+ cancelled \(not now\)$/),
			expect.stringMatching(/^\w+ cancelled \(not now\)$/),
		]);
	});
});
