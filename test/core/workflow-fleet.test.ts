import {describe, expect, it} from 'vitest';
import {fakeFleetPorts} from '../fakes/fake-fleet-ports.js';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {createFleet} from '../../source/core/fleet.js';
import type {ConfigFile, UserDefinitions} from '../../source/core/ports/workflow-catalog.js';
import type {Workspaces} from '../../source/core/ports/workspace.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const git = {snapshot: async () => ({branch: 'main', sha: 'abc123', dirtyFiles: []})};

function setup(user: {roles?: ConfigFile[]; workflows?: ConfigFile[]} = {}) {
	const driver = new FakeWorkerDriver();
	const store = new MemoryTaskStore();
	const userDefinitions: UserDefinitions = {directory: '/cfg/ccfleet', roles: () => user.roles ?? [], workflows: () => user.workflows ?? []};
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds(), git, userDefinitions},
		{staggerMs: 0, maxWorkers: 4},
	);
	return {fleet, driver, store};
}

const pilot: ConfigFile = {path: '/cfg/ccfleet/roles/pilot.yaml', name: 'pilot', content: {title: 'Pilot', prompt: 'You fly the release.'}};

/** Lets the finisher write the checkpoint (it awaits git) and the gate release the dependents. */
const settle = () => new Promise(resolve => setTimeout(resolve, 10));

describe('Fleet workflows', () => {
	it('creates one task per step with its workflow recorded, and runs each step after its dependencies with their checkpoints', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		const started = await fleet.workflows.create({template: 'feature', goal: 'Add CSV export', cwd: '/work', priority: 'P0'});
		expect(started).toMatchObject({id: 'wf-t1', name: 'feature'});
		expect(started.tasks.map(task => [task.id, task.workflow?.step, task.role, task.dependsOn ?? []])).toEqual([
			['t2', 'design', 'architect', []],
			['t3', 'implement', 'implementer', ['t2']],
			['t4', 'test', 'tester', ['t3']],
			['t5', 'document', 'documenter', ['t3']],
			['t6', 'review', 'reviewer', ['t4', 't5']],
		]);
		expect(started.tasks.every(task => task.priority === 'P0' && task.workflow?.id === 'wf-t1' && task.workflow.name === 'feature')).toBe(true);
		const worker = (id: string) => driver.started.find(candidate => candidate.spec.taskId === id)!;
		expect(driver.started.map(candidate => candidate.spec.taskId)).toEqual(['t2']);
		expect(worker('t2').spec.prompt).toMatch(
			/^You are step "design" \(architect\) of the workflow "feature" \(wf-t1\)\.\n\n---\n\nDesign how to build this feature: Add CSV export/,
		);
		expect(worker('t2').spec.systemPrompt).toMatch(/^You are the architect\./);
		worker('t2').finish('DESIGN: two modules');
		await settle();
		expect(worker('t3').spec.prompt).toContain('## Step "design" (architect), task t2, completed\n\nIts result:\nDESIGN: two modules');
		worker('t3').finish('IMPLEMENTED');
		await settle();
		expect(driver.started.map(candidate => candidate.spec.taskId)).toEqual(['t2', 't3', 't4', 't5']);
		worker('t4').finish('TESTS PASS');
		await settle();
		expect(driver.started).toHaveLength(4);
		worker('t5').finish('DOCS WRITTEN');
		await settle();
		const review = worker('t6').spec.prompt;
		expect(review).toContain('The steps before you left this:');
		expect(review).toContain('## Step "test" (tester), task t4, completed\n\nIts result:\nTESTS PASS');
		expect(review).toContain('## Step "document" (documenter), task t5, completed\n\nIts result:\nDOCS WRITTEN');
		expect(review).toContain('on branch main at abc123');
		expect(fleet.workflows.tasks('wf-t1').map(task => task.id)).toEqual(['t2', 't3', 't4', 't5', 't6']);
		// Run again, a step stays in its workflow and is told its dependencies' checkpoints again.
		worker('t6').exit({exitCode: 1, signal: null});
		await settle();
		const again = fleet.retry('t6');
		expect(again).toMatchObject({retryOf: 't6', workflow: {id: 'wf-t1', name: 'feature', step: 'review'}, dependsOn: ['t4', 't5']});
		expect(worker(again.id).spec.prompt).toContain('## Step "test" (tester), task t4, completed');
		expect(fleet.workflows.tasks('wf-t1').map(task => task.id)).toEqual(['t2', 't3', 't4', 't5', 't6', again.id]);
	});

	it('creates nothing when a step cannot be accepted, naming the step', async () => {
		const {fleet, store} = setup();
		await fleet.start();
		// No workspaces port: worktree isolation is refused, for the first step already.
		await expect(fleet.workflows.create({template: 'bug-fix', goal: 'Fix the crash', cwd: '/work', isolation: 'worktree'})).rejects.toThrow(
			'Workflow "bug-fix", step "reproduce": Worktree isolation is not available',
		);
		await expect(fleet.workflows.create({template: 'bug-fix', goal: 'Fix the crash', cwd: 'relative'})).rejects.toThrow(
			/step "reproduce": The working directory \(cwd\) must be an absolute path/,
		);
		await expect(fleet.workflows.create({template: 'bug-fix', goal: '  ', cwd: '/work'})).rejects.toThrow('The goal is empty.');
		await expect(fleet.workflows.create({template: 'shipping', goal: 'x', cwd: '/work'})).rejects.toThrow('Unknown workflow "shipping".');
		expect(store.list()).toEqual([]);
	});

	it("checks an isolated workflow's repository once, as delegate does, and creates nothing when it lacks what is needed", async () => {
		const looks: string[] = [];
		let isRepository = false;
		const workspaces = {
			check: async (cwd: string, plan: {strategy: string; base?: string}) => {
				looks.push(`${cwd} ${plan.strategy}`);
				if (!isRepository) throw new Error(`${cwd} is not in a git repository. Run git init, or leave isolation out.`);
				return {base: 'main'};
			},
			create: async (cwd: string, taskId: string) => ({repoRoot: cwd, path: `/wt/${taskId}`, branch: `ccfleet/${taskId}`, baseSha: 'abc123'}),
		} as unknown as Workspaces;
		const store = new MemoryTaskStore();
		const fleet = createFleet(fakeFleetPorts({store, workspaces}));
		await fleet.start();
		await expect(fleet.workflows.create({template: 'refactor', goal: 'Split the parser', cwd: '/work', isolation: 'worktree', mergeStrategy: 'auto'})).rejects.toThrow(
			'Workflow "refactor", step "plan": /work is not in a git repository. Run git init, or leave isolation out.',
		);
		expect(store.list()).toEqual([]);
		isRepository = true;
		looks.length = 0;
		const {tasks} = await fleet.workflows.create({template: 'refactor', goal: 'Split the parser', cwd: '/work', isolation: 'worktree', mergeStrategy: 'auto'});
		expect(tasks.map(task => [task.isolation, task.mergeStrategy, task.base])).toEqual(Array.from({length: 4}, () => ['worktree', 'auto', 'main']));
		expect(looks).toEqual(['/work auto']);
	});

	it('refuses a bad user template by file and step, and runs a good one with a user role', async () => {
		const {fleet, driver} = setup({
			roles: [pilot],
			workflows: [
				{
					path: '/cfg/ccfleet/workflows/release.yaml',
					name: 'release',
					content: {description: 'x', steps: [{id: 'deploy', role: 'devops', prompt: 'd', dependsOn: ['buidl']}]},
				},
				{path: '/cfg/ccfleet/workflows/fly.json', name: 'fly', content: {description: 'Fly', steps: [{id: 'takeoff', role: 'pilot', prompt: 'Take off to {{goal}}'}]}},
			],
		});
		await fleet.start();
		await expect(fleet.workflows.create({template: 'release', goal: 'v2', cwd: '/work'})).rejects.toThrow(
			'The workflow "release" cannot be used: /cfg/ccfleet/workflows/release.yaml: step "deploy": depends on unknown step "buidl" (steps: deploy)',
		);
		const {tasks} = await fleet.workflows.create({template: 'fly', goal: 'Lisbon', cwd: '/work'});
		expect(tasks[0]).toMatchObject({role: 'pilot', workflow: {name: 'fly', step: 'takeoff'}});
		expect(driver.started[0]!.spec.systemPrompt).toBe('You fly the release.');
		expect(driver.started[0]!.spec.prompt).toContain('Take off to Lisbon');
	});

	it('takes a user role on a plain task and refuses an unknown one, naming the roles there are', async () => {
		const {fleet, driver} = setup({roles: [pilot]});
		await fleet.start();
		fleet.submit({prompt: 'fly', cwd: '/work', role: 'pilot'});
		expect(driver.started[0]!.spec.systemPrompt).toBe('You fly the release.');
		expect(() => fleet.submit({prompt: 'fly', cwd: '/work', role: 'astronaut'})).toThrow(InvalidInputError);
		expect(() => fleet.submit({prompt: 'fly', cwd: '/work', role: 'astronaut'})).toThrow(
			'Unknown role "astronaut". Roles: architect, implementer, tester, reviewer, devops, documenter, generalist, pilot;',
		);
	});

	it('cancels every step not yet ended when the workflow is cancelled', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		const {id, tasks} = await fleet.workflows.create({template: 'code-review', goal: 'Review the parser', cwd: '/work'});
		expect(driver.started.map(worker => worker.spec.taskId)).toEqual(['t2', 't3']);
		driver.started[0]!.finish('no findings');
		await settle();
		const ended = await fleet.workflows.cancel(id, {by: 'test', reason: 'not needed'});
		expect(ended.map(task => [task.workflow?.step, task.status])).toEqual([
			['correctness', 'completed'],
			['coverage', 'cancelled'],
			['report', 'cancelled'],
		]);
		expect(ended[2]).toMatchObject({cancelledBy: 'test', failureReason: 'not needed'});
		expect(tasks).toHaveLength(3);
		await expect(fleet.workflows.cancel('wf-nope', {by: 'test'})).rejects.toThrow('No workflow with id "wf-nope".');
	});
});
