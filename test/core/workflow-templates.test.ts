import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {userConfigDirectory, WorkflowFiles} from '../../source/adapters/fs/workflow-files.js';
import {ROLE_NAMES} from '../../source/core/domain/roles.js';
import {buildCatalog, findRole, findTemplate} from '../../source/core/domain/workflow-catalog.js';
import {expandWorkflow} from '../../source/core/domain/workflow-expansion.js';
import {parseWorkflowTemplate, WorkflowTemplateError, type WorkflowTemplate} from '../../source/core/domain/workflow-template.js';

/** Each step's dependencies by step id: the DAG a template expands to, read back through the real task ids. */
function expandedEdges(template: WorkflowTemplate): Record<string, string[]> {
	let n = 0;
	const planned = expandWorkflow(template, {goal: 'Add CSV export', settings: {cwd: '/work'}, workflowId: 'wf-1', newTaskId: () => `t${++n}`});
	const stepOf = new Map(planned.map(step => [step.taskId, step.workflow.step]));
	return Object.fromEntries(planned.map(step => [step.workflow.step, (step.spec.dependsOn ?? []).map(id => stepOf.get(id)!)]));
}

describe('built-in workflow templates', () => {
	const catalog = buildCatalog();

	it.each([
		['feature', {design: [], implement: ['design'], test: ['implement'], document: ['implement'], review: ['test', 'document']}],
		['bug-fix', {reproduce: [], fix: ['reproduce'], verify: ['fix'], review: ['fix']}],
		['refactor', {plan: [], refactor: ['plan'], verify: ['refactor'], review: ['verify']}],
		['code-review', {correctness: [], coverage: [], report: ['correctness', 'coverage']}],
	])('%s expands to its DAG of role tasks', (name, edges) => {
		expect(expandedEdges(findTemplate(catalog, name))).toEqual(edges);
	});

	it('gives every step the goal, its role, the shared settings and its workflow, dependencies first', () => {
		let n = 0;
		const planned = expandWorkflow(findTemplate(catalog, 'feature'), {
			goal: 'Add CSV export',
			settings: {cwd: '/repo', priority: 'P0', isolation: 'worktree', mergeStrategy: 'patch'},
			workflowId: 'wf-9',
			newTaskId: () => `t${++n}`,
		});
		expect(planned.map(step => [step.taskId, step.spec.role])).toEqual([
			['t1', 'architect'],
			['t2', 'implementer'],
			['t3', 'tester'],
			['t4', 'documenter'],
			['t5', 'reviewer'],
		]);
		for (const step of planned) {
			expect(step.spec.prompt).toContain('Add CSV export');
			expect(step.spec.prompt).not.toContain('{{goal}}');
			expect(step.spec).toMatchObject({cwd: '/repo', priority: 'P0', isolation: 'worktree', mergeStrategy: 'patch'});
			expect(step.workflow).toEqual({id: 'wf-9', name: 'feature', step: step.workflow.step});
		}
		expect(planned[4]!.spec.dependsOn).toEqual(['t3', 't4']);
	});

	it('lists the seven built-in roles', () => {
		expect(catalog.roles.map(role => role.name)).toEqual(ROLE_NAMES);
		expect(catalog.faults).toEqual([]);
	});
});

describe('workflow template validation', () => {
	const roles = [...ROLE_NAMES];
	const parse = (raw: unknown) => parseWorkflowTemplate(raw, {source: '/cfg/workflows/release.yaml', fallbackName: 'release', roles});
	const steps = (...list: object[]) => ({description: 'Release', steps: list});
	const message = (raw: unknown) => {
		try {
			parse(raw);
		} catch (error) {
			expect(error).toBeInstanceOf(WorkflowTemplateError);
			return (error as Error).message;
		}
		throw new Error('the template was accepted');
	};

	it('names the file, the step and an unknown dependency, with the steps there are', () => {
		const raw = steps(
			{id: 'plan', role: 'architect', prompt: 'p'},
			{id: 'build', role: 'implementer', prompt: 'b', dependsOn: ['plan']},
			{id: 'test', role: 'tester', prompt: 't', dependsOn: ['build']},
			{id: 'deploy', role: 'devops', prompt: 'd', dependsOn: ['buidl']},
		);
		expect(message(raw)).toBe('/cfg/workflows/release.yaml: step "deploy": depends on unknown step "buidl" (steps: plan, build, test, deploy)');
	});

	it('names the cycle', () => {
		const raw = steps(
			{id: 'a', role: 'architect', prompt: 'p', dependsOn: ['c']},
			{id: 'b', role: 'tester', prompt: 'p', dependsOn: ['a']},
			{id: 'c', role: 'tester', prompt: 'p', dependsOn: ['b']},
		);
		expect(message(raw)).toBe('/cfg/workflows/release.yaml: step "a": the steps depend on each other in a circle: a → c → b → a. Remove one of these dependencies.');
	});

	it('names an unknown role and the roles there are', () => {
		expect(message(steps({id: 'ship', role: 'pilot', prompt: 'p'}))).toMatch(
			/^\/cfg\/workflows\/release\.yaml: step "ship": unknown role "pilot" \(roles: architect, implementer, tester, reviewer, devops, documenter, generalist\)/,
		);
	});

	it('names a missing field of a step, and of the template', () => {
		expect(message(steps({id: 'ship', role: 'devops'}))).toBe('/cfg/workflows/release.yaml: step "ship": missing field "prompt".');
		expect(message(steps({role: 'devops', prompt: 'p'}))).toBe('/cfg/workflows/release.yaml: step "#1": missing field "id".');
		expect(message({steps: [{id: 'a', role: 'devops', prompt: 'p'}]})).toBe('/cfg/workflows/release.yaml: missing field "description".');
	});

	it('refuses unknown fields, a step used twice, a self-dependency, an empty list, and a bad value', () => {
		expect(message(steps({id: 'a', role: 'devops', prompt: 'p', depends: ['b']}))).toMatch(/step "a": unknown field depends \(accepted: id, role, prompt, dependsOn,/);
		expect(message(steps({id: 'a', role: 'devops', prompt: 'p'}, {id: 'a', role: 'tester', prompt: 'q'}))).toMatch(/step "a": the step id is used twice/);
		expect(message(steps({id: 'a', role: 'devops', prompt: 'p', dependsOn: ['a']}))).toMatch(/step "a": depends on itself/);
		expect(message(steps())).toBe('/cfg/workflows/release.yaml: steps is empty; a workflow needs at least one step.');
		expect(message(steps({id: 'a', role: 'devops', prompt: 'p', priority: 'P9'}))).toMatch(/step "a": priority "P9" is not accepted; use one of P0, P1, P2\./);
		expect(message('just text')).toMatch(/^\/cfg\/workflows\/release\.yaml: a template is an object/);
	});
});

describe('user roles and templates from the config directory', () => {
	let home: string;
	let directory: string;
	beforeEach(() => {
		home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-workflows-'));
		directory = userConfigDirectory({XDG_CONFIG_HOME: home});
		mkdirSync(path.join(directory, 'workflows'), {recursive: true});
		mkdirSync(path.join(directory, 'roles'), {recursive: true});
	});
	afterEach(() => rmSync(home, {recursive: true, force: true}));

	const load = () => {
		const files = new WorkflowFiles(directory);
		return buildCatalog({roles: files.roles(), workflows: files.workflows()});
	};
	const write = (relative: string, text: string) => writeFileSync(path.join(directory, relative), text);

	it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
		expect(directory).toBe(path.join(home, 'ccfleet'));
		expect(userConfigDirectory({HOME: '/home/ada'})).toBe('/home/ada/.config/ccfleet');
	});

	it('loads a YAML template using a user role (Markdown) and a JSON one; a user template replaces a built-in of its name', () => {
		write('roles/security.md', 'You are the security auditor. Look for injection and leaked secrets.\n');
		write('roles/pilot.yaml', 'title: Pilot\nprompt: You fly the release.\n');
		write(
			'workflows/release.yaml',
			[
				'description: Ship a release',
				'steps:',
				'  - id: build',
				'    role: implementer',
				'    prompt: Build {{goal}}',
				'  - id: audit',
				'    role: security',
				'    prompt: Audit the build',
				'    dependsOn: [build]',
				'    model: opus',
				'  - id: ship',
				'    role: pilot',
				'    prompt: Ship it',
				'    dependsOn: [build, audit]',
			].join('\n'),
		);
		write('workflows/feature.json', JSON.stringify({description: 'Our feature flow', steps: [{id: 'only', role: 'generalist', prompt: 'Do {{goal}}'}]}));
		const catalog = load();
		expect(catalog.faults).toEqual([]);
		expect(findRole(catalog, 'security')).toMatchObject({title: 'security', prompt: 'You are the security auditor. Look for injection and leaked secrets.'});
		expect(findRole(catalog, 'pilot')).toMatchObject({title: 'Pilot', prompt: 'You fly the release.', source: path.join(directory, 'roles/pilot.yaml')});
		const release = findTemplate(catalog, 'release');
		expect(release.source).toBe(path.join(directory, 'workflows/release.yaml'));
		expect(expandedEdges(release)).toEqual({build: [], audit: ['build'], ship: ['build', 'audit']});
		expect(release.steps[1]).toMatchObject({role: 'security', model: 'opus'});
		expect(expandedEdges(findTemplate(catalog, 'feature'))).toEqual({only: []});
		expect(findTemplate(catalog, 'feature').description).toBe('Our feature flow');
	});

	it('refuses a bad template naming file and step, and keeps the good ones', () => {
		write(
			'workflows/release.yaml',
			'description: Ship\nsteps:\n  - id: build\n    role: implementer\n    prompt: b\n  - id: deploy\n    role: devops\n    prompt: d\n    dependsOn: [buidl]\n',
		);
		write('workflows/broken.yaml', 'description: [unclosed\n');
		write('workflows/unknown-role.json', JSON.stringify({description: 'x', steps: [{id: 'fly', role: 'pilot', prompt: 'p'}]}));
		const catalog = load();
		const file = (name: string) => path.join(directory, 'workflows', name);
		expect(catalog.faults.map(fault => fault.message)).toEqual([
			expect.stringMatching(new RegExp(`^${file('broken.yaml')}: not valid YAML: `)),
			`${file('release.yaml')}: step "deploy": depends on unknown step "buidl" (steps: build, deploy)`,
			expect.stringMatching(new RegExp(`^${file('unknown-role.json')}: step "fly": unknown role "pilot"`)),
		]);
		expect(() => findTemplate(catalog, 'release')).toThrow(
			`The workflow "release" cannot be used: ${file('release.yaml')}: step "deploy": depends on unknown step "buidl"`,
		);
		expect(() => findTemplate(catalog, 'nope')).toThrow('Unknown workflow "nope". Workflows: feature, bug-fix, refactor, code-review');
		expect(findTemplate(catalog, 'feature').source).toBe('built-in');
	});

	it('refuses a broken template that would replace a built-in, rather than run the built-in instead', () => {
		write('workflows/feature.yaml', 'description: Ours\nsteps:\n  - {id: a, role: tester}\n');
		const catalog = load();
		expect(catalog.templates.map(template => template.name)).toEqual(['bug-fix', 'refactor', 'code-review']);
		expect(() => findTemplate(catalog, 'feature')).toThrow(
			`The workflow "feature" cannot be used: ${path.join(directory, 'workflows/feature.yaml')}: step "a": missing field "prompt".`,
		);
	});

	it('refuses a role file without a prompt, naming the file', () => {
		write('roles/pilot.yaml', 'title: Pilot\n');
		const catalog = load();
		expect(catalog.faults).toEqual([
			{
				kind: 'role',
				path: path.join(directory, 'roles/pilot.yaml'),
				name: 'pilot',
				message: `${path.join(directory, 'roles/pilot.yaml')}: missing field "prompt" (the instructions added to the worker's system prompt).`,
			},
		]);
		expect(() => findRole(catalog, 'pilot')).toThrow(/The role "pilot" cannot be used: .*pilot\.yaml: missing field "prompt"/);
		expect(() => findRole(catalog, 'astronaut')).toThrow('Unknown role "astronaut". Roles: architect, implementer, tester, reviewer, devops, documenter, generalist;');
	});

	it('refuses a template that takes the name of a subcommand', () => {
		write('workflows/list.yaml', 'description: x\nsteps:\n  - {id: a, role: tester, prompt: p}\n');
		expect(load().faults[0]!.message).toBe(`${path.join(directory, 'workflows/list.yaml')}: "list" is a ccfleet workflow subcommand; give the workflow another name.`);
	});
});
