import {describe, expect, it} from 'vitest';
import type {Task} from '../../source/core/domain/task.js';
import {createFleet} from '../../source/core/fleet.js';
import type {FinishPlan, Worktree} from '../../source/core/ports/workspace.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const settle = () => new Promise(resolve => setImmediate(resolve));

/** claude finds a conversation by the directory it ran in: resumable only in that directory. */
class DirectoryAwareDriver extends FakeWorkerDriver {
	readonly conversations = new Map<string, string>();

	override canResume(spec: {cwd: string; sessionId: string}): boolean {
		return this.conversations.get(spec.sessionId) === spec.cwd;
	}
}

/** Git worktrees as the adapter makes them: one directory per task, removed when the task ends. */
function fakeWorkspaces() {
	const calls: string[] = [];
	const worktreeOf = (taskId: string): Worktree => ({repoRoot: '/work', path: `/state/worktrees/${taskId}`, branch: `ccfleet/${taskId}`, baseSha: 'base'});
	return {
		calls,
		workspaces: {
			create: async (_cwd: string, taskId: string) => {
				calls.push(`create ${taskId}`);
				return worktreeOf(taskId);
			},
			reopen: async (worktree: Worktree, taskId: string) => {
				calls.push(`reopen ${worktree.path} for ${taskId}`);
				return {...worktree, baseSha: 'branch-head'};
			},
			check: async () => ({}),
			inspect: async () => ({directory: false, branch: true, merged: false}),
			remove: async () => ({directory: false, branch: true, merged: false}),
			finish: async (worktree: Worktree, {strategy}: FinishPlan, taskId: string) => {
				calls.push(`finish ${taskId} ${strategy}`);
				return {strategy, summary: `finished ${worktree.branch}`, merged: false, branchKept: true};
			},
		},
	};
}

function setup() {
	const store = new MemoryTaskStore();
	const driver = new DirectoryAwareDriver();
	const clock = new FakeClock();
	const {workspaces, calls} = fakeWorkspaces();
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds(), workspaces},
		{staggerMs: 0, maxWorkers: 4},
	);
	return {fleet, driver, store, clock, calls};
}

/** Every setting a task can ask for, each away from its default. */
const EVERY_SETTING = {
	prompt: 'change the parser',
	cwd: '/work/pkg',
	priority: 'P0',
	timeoutMs: 90_000,
	maxOutputBytes: 4096,
	onDependencyFailure: 'run',
	role: 'tester',
	mode: 'headless',
	isolation: 'worktree',
	mergeStrategy: 'patch',
	model: 'opus',
	permissionMode: 'plan',
} as const;

const settingsOf = (task: Task) => ({
	priority: task.priority,
	timeoutMs: task.timeoutMs,
	maxOutputBytes: task.maxOutputBytes,
	onDependencyFailure: task.onDependencyFailure,
	role: task.role,
	mode: task.mode,
	isolation: task.isolation,
	mergeStrategy: task.mergeStrategy,
	model: task.model,
	permissionMode: task.permissionMode,
	cwd: task.cwd,
});

describe('retry and resume keep every setting of a task', () => {
	it('retries an isolated task in a fresh worktree of its own, with its merge strategy and every other setting', async () => {
		const {fleet, driver, calls} = setup();
		await fleet.start();
		const original = fleet.submit(EVERY_SETTING);
		await settle();
		driver.worker(original.id).exit({exitCode: 1, signal: null, error: 'it broke'});
		await settle();

		const retried = fleet.retry(original.id);
		await settle();
		expect(settingsOf(fleet.get(retried.id))).toEqual(settingsOf(fleet.get(original.id)));
		expect(calls).toContain(`create ${retried.id}`);
		// Its worker runs in its own worktree (the same subdirectory), never in the user's checkout.
		expect(driver.worker(retried.id).spec.cwd).toBe(`/state/worktrees/${retried.id}/pkg`);
		expect(driver.worker(retried.id).spec).toMatchObject({mode: 'headless', permissionMode: 'plan', model: 'opus'});
		driver.worker(retried.id).finish('done');
		await settle();
		expect(calls).toContain(`finish ${retried.id} patch`);
	});

	it('resumes an isolated task in its worktree, where its conversation is, and continues that conversation', async () => {
		const {fleet, driver, calls} = setup();
		await fleet.start();
		const original = fleet.submit(EVERY_SETTING);
		await settle();
		const ranIn = driver.worker(original.id).spec.cwd;
		driver.conversations.set(original.sessionId, ranIn);
		driver.worker(original.id).finish('first part done');
		await settle();

		const resumed = fleet.resume(original.id, 'now the second part');
		await settle();
		expect(calls).toContain(`reopen /state/worktrees/${original.id} for ${resumed.id}`);
		const spec = driver.worker(resumed.id).spec;
		expect(spec).toMatchObject({cwd: ranIn, resume: true, sessionId: original.sessionId, prompt: 'now the second part'});
		expect(settingsOf(fleet.get(resumed.id))).toEqual(settingsOf(fleet.get(original.id)));
	});

	it('carries every setting through a resume that retells the task (no conversation on disk)', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		const original = fleet.submit({...EVERY_SETTING, isolation: 'none', mergeStrategy: undefined});
		driver.worker(original.id).exit({exitCode: 1, signal: null, error: 'it broke'});
		await settle();
		const resumed = fleet.resume(original.id);
		expect(settingsOf(fleet.get(resumed.id))).toEqual(settingsOf(fleet.get(original.id)));
		expect(driver.worker(resumed.id).spec.resume).toBe(false);
	});
});

describe('stop', () => {
	/** A git whose snapshot takes as long as the test wants. */
	function slowGit() {
		const pending: (() => void)[] = [];
		return {
			pending,
			git: {
				snapshot: () =>
					new Promise<{branch: string; sha: string; dirtyFiles: string[]}>(resolve => {
						pending.push(() => resolve({branch: 'main', sha: 'abc', dirtyFiles: []}));
					}),
			},
		};
	}

	/** A store that, like SQLite, cannot be written once its host closed it. */
	class ClosableStore extends MemoryTaskStore {
		isClosed = false;
		writesAfterClose = 0;
		override update(task: Task): void {
			if (this.isClosed) {
				this.writesAfterClose++;
				throw new Error('The database connection is not open');
			}
			super.update(task);
		}
	}

	function stoppable(stopDrainMs = 15_000) {
		const store = new ClosableStore();
		const driver = new FakeWorkerDriver();
		const clock = new FakeClock();
		const {git, pending} = slowGit();
		const errors: string[] = [];
		const fleet = createFleet(
			{store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds(), git},
			{staggerMs: 0, stopDrainMs},
		);
		fleet.on('fleet:error', ({message}) => errors.push(message));
		return {fleet, driver, clock, store, pending, errors};
	}

	it('waits for the checkpoints it started, and writes nothing after it returns', async () => {
		const {fleet, driver, store, pending} = stoppable();
		await fleet.start();
		const task = fleet.submit({prompt: 'x', cwd: '/work'});
		driver.worker(task.id).finish('done');
		await settle();
		expect(pending).toHaveLength(1);

		let stopped = false;
		const stopping = fleet.stop().then(() => {
			stopped = true;
		});
		await settle();
		expect(stopped).toBe(false);
		pending[0]!();
		await stopping;
		expect(store.get(task.id)!.checkpoint).toMatchObject({git: {sha: 'abc'}, result: 'done'});
		store.isClosed = true;
		await settle();
		expect(store.writesAfterClose).toBe(0);
	});

	it('gives up on a checkpoint that outlasts its bound, says so, and never writes it after the store closed', async () => {
		const {fleet, driver, clock, store, pending, errors} = stoppable(5000);
		await fleet.start();
		const task = fleet.submit({prompt: 'x', cwd: '/work'});
		driver.worker(task.id).finish('done');
		await settle();
		const stopping = fleet.stop();
		await settle();
		clock.advance(5000);
		await stopping;
		expect(errors.some(message => /did not finish within 5 s/.test(message))).toBe(true);
		store.isClosed = true;
		pending[0]!();
		await settle();
		await settle();
		expect(store.writesAfterClose).toBe(0);
		expect(store.get(task.id)!.checkpoint).toBeUndefined();
	});
});
