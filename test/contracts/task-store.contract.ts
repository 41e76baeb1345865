import {afterEach, describe, expect, it} from 'vitest';
import {FleetError, TaskNotFoundError} from '../../source/core/domain/errors.js';
import {createTask, type Task, type TaskStatus} from '../../source/core/domain/task.js';
import {type TaskStore} from '../../source/core/ports/task-store.js';

const DEFAULTS = {priority: 'P1', permissionMode: 'default', mode: 'pty', timeoutMs: 600_000} as const;

/** A task as createTask makes it: every optional field absent. */
export function minimalTask(id: string, changes: Partial<Task> = {}): Task {
	return {...createTask({prompt: `do ${id}`, cwd: '/work'}, {id, sessionId: `session-${id}`}, 1_000, DEFAULTS), ...changes};
}

/** A task with every field of Task set, none left at its default. */
export function fullTask(id: string, changes: Partial<Task> = {}): Task {
	return {
		id,
		prompt: 'Fix the bug in "parser.ts" — don\'t touch tests ✅\nline two',
		cwd: '/home/me/project with space',
		priority: 'P0',
		status: 'failed',
		permissionMode: 'acceptEdits',
		mode: 'headless',
		model: 'claude-opus-4',
		timeoutMs: 1_800_000,
		sessionId: '2f1c7a52-0a8e-4a8e-9d0c-6c2b1f0e9a11',
		createdAt: 1_750_000_000_000,
		updatedAt: 1_750_000_360_500,
		startedAt: 1_750_000_000_250,
		endedAt: 1_750_000_360_500,
		attempts: 3,
		exitCode: null,
		result: 'partial result',
		failureReason: 'claude was killed by SIGKILL before it finished.',
		cancelledBy: 'mcp:client-7',
		costUsd: 0.123_456_789,
		tokens: {input: 123_456, output: 7_890, cacheRead: 1_000_000, cacheCreation: 4_321},
		worker: {pid: 4_194_303, startTime: 987_654_321},
		resumePending: false,
		parentTaskId: 'parent-1',
		retryOf: 'earlier-1',
		maxOutputBytes: 2048,
		maxBudgetUsd: 0.125,
		dependsOn: ['dep-1', 'dep-2'],
		continueFrom: 'dep-1',
		onDependencyFailure: 'skip',
		role: 'reviewer',
		checkpoint: {
			takenAt: 1_750_000_360_000,
			git: {branch: 'main', sha: 'abc123', dirtyFiles: ['a.ts', 'b c.ts']},
			outputTail: ['one', 'two'],
			result: 'done',
			sessionId: 's-1',
		},
		...changes,
	};
}

/**
 * The TaskStore port's contract, for any adapter. `makeStore` returns a fresh, empty store per test;
 * the suite closes it afterwards.
 */
export function describeTaskStore(name: string, makeStore: () => TaskStore): void {
	describe(`TaskStore contract: ${name}`, () => {
		let store: TaskStore;
		const open = (): TaskStore => {
			store = makeStore();
			return store;
		};

		afterEach(() => {
			store.close();
		});

		const ids = (tasks: Task[]): string[] => tasks.map(task => task.id);

		describe('round trip', () => {
			it('returns a fully populated task deep-equal to the one inserted', () => {
				const s = open();
				const task = fullTask('full');
				s.insert(task);
				expect(s.get('full')).toStrictEqual(task);
			});

			it('keeps the other values of the three-state and boolean fields', () => {
				const s = open();
				const task = fullTask('other', {exitCode: 0, resumePending: true, costUsd: 0, status: 'completed'});
				s.insert(task);
				expect(s.get('other')).toStrictEqual(task);
				const signed = fullTask('negative', {exitCode: -1});
				s.insert(signed);
				expect(s.get('negative')).toStrictEqual(signed);
			});

			it('returns a minimal task with its optional fields absent, not present as undefined', () => {
				const s = open();
				const task = minimalTask('min');
				s.insert(task);
				const got = s.get('min');
				expect(got).toStrictEqual(task);
				for (const key of [
					'model',
					'startedAt',
					'endedAt',
					'exitCode',
					'result',
					'failureReason',
					'cancelledBy',
					'worker',
					'resumePending',
					'parentTaskId',
					'retryOf',
					'maxOutputBytes',
					'maxBudgetUsd',
					'dependsOn',
					'continueFrom',
					'onDependencyFailure',
					'checkpoint',
					'role',
				]) {
					expect(Object.hasOwn(got!, key), key).toBe(false);
				}
			});

			it('keeps a prompt of several megabytes and any characters', () => {
				const s = open();
				const task = minimalTask('big', {prompt: `${'x'.repeat(3 * 1024 * 1024)}\u0000'";--\n🚀`});
				s.insert(task);
				expect(s.get('big')).toStrictEqual(task);
			});

			it('returns undefined for an unknown id', () => {
				expect(open().get('nope')).toBeUndefined();
			});

			it('hands out copies: mutating what was passed in or got back changes nothing stored', () => {
				const s = open();
				const task = fullTask('copy');
				s.insert(task);
				task.tokens.input = -1;
				task.worker!.pid = -1;
				const got = s.get('copy')!;
				expect(got).toStrictEqual(fullTask('copy'));
				got.tokens.output = -1;
				got.status = 'queued';
				s.list()[0]!.tokens.cacheRead = -1;
				expect(s.get('copy')).toStrictEqual(fullTask('copy'));
			});
		});

		describe('insert', () => {
			it('refuses a duplicate id and keeps the stored task', () => {
				const s = open();
				s.insert(minimalTask('dup'));
				let thrown: unknown;
				try {
					s.insert(fullTask('dup'));
				} catch (error) {
					thrown = error;
				}

				expect(thrown).toBeInstanceOf(FleetError);
				expect((thrown as Error).message).toMatch(/"dup" already exists/);
				expect(s.get('dup')).toStrictEqual(minimalTask('dup'));
				expect(s.list()).toHaveLength(1);
			});
		});

		describe('update', () => {
			it('replaces every field, and removes optional fields the new value lacks', () => {
				const s = open();
				s.insert(minimalTask('u'));
				const full = fullTask('u');
				s.update(full);
				expect(s.get('u')).toStrictEqual(full);
				const bare = minimalTask('u', {status: 'queued', attempts: 4});
				s.update(bare);
				expect(s.get('u')).toStrictEqual(bare);
			});

			it('throws TaskNotFoundError for an unknown id and stores nothing', () => {
				const s = open();
				expect(() => s.update(minimalTask('ghost'))).toThrow(TaskNotFoundError);
				expect(s.get('ghost')).toBeUndefined();
				expect(s.list()).toEqual([]);
			});

			it('does not move the task in the list order', () => {
				const s = open();
				for (const id of ['a', 'b', 'c']) s.insert(minimalTask(id));
				s.update(minimalTask('a', {status: 'running', updatedAt: 9_999}));
				expect(ids(s.list())).toEqual(['a', 'b', 'c']);
			});
		});

		describe('list', () => {
			const statuses: Array<[string, TaskStatus]> = [
				['t1', 'queued'],
				['t2', 'running'],
				['t3', 'completed'],
				['t4', 'queued'],
				['t5', 'failed'],
				['t6', 'running'],
				['t7', 'queued'],
			];
			const seed = (s: TaskStore): void => {
				// createdAt runs backwards, so only insertion order can explain an oldest-first result.
				for (const [index, [id, status]] of statuses.entries()) s.insert(minimalTask(id, {status, createdAt: 100 - index}));
			};

			it('is empty for an empty store', () => {
				expect(open().list()).toEqual([]);
			});

			it('returns every task oldest first (in insertion order)', () => {
				const s = open();
				seed(s);
				expect(ids(s.list())).toEqual(['t1', 't2', 't3', 't4', 't5', 't6', 't7']);
				expect(s.list()[1]).toStrictEqual(minimalTask('t2', {status: 'running', createdAt: 99}));
			});

			it('sums the cost of every task', () => {
				const s = open();
				expect(s.totalCostUsd()).toBe(0);
				seed(s);
				const expected = s.list().reduce((sum, task) => sum + task.costUsd, 0);
				expect(s.totalCostUsd()).toBeCloseTo(expected, 10);
			});

			it('sums the cost of the tasks started since a time (those not started count from their creation)', () => {
				const s = open();
				s.insert(minimalTask('old', {createdAt: 100, startedAt: 150, costUsd: 1}));
				s.insert(minimalTask('edge', {createdAt: 100, startedAt: 200, costUsd: 2}));
				s.insert(minimalTask('new', {createdAt: 300, startedAt: 310, costUsd: 4}));
				s.insert(minimalTask('waiting', {createdAt: 250, costUsd: 8}));
				expect(s.totalCostUsd(200)).toBeCloseTo(14, 10);
				expect(s.totalCostUsd(1000)).toBe(0);
				expect(s.totalCostUsd()).toBeCloseTo(15, 10);
			});

			it('counts the tasks in each status', () => {
				const s = open();
				expect(s.countByStatus()).toEqual({queued: 0, running: 0, needs_input: 0, parked: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0});
				seed(s);
				const byStatus = s.list().reduce<Record<string, number>>((counts, task) => ({...counts, [task.status]: (counts[task.status] ?? 0) + 1}), {});
				expect(s.countByStatus()).toEqual({queued: 0, running: 0, needs_input: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0, parked: 0, ...byStatus});
				expect(s.countByStatus().queued).toBe(3);
			});

			it('filters by one or several statuses', () => {
				const s = open();
				seed(s);
				expect(ids(s.list({statuses: ['queued']}))).toEqual(['t1', 't4', 't7']);
				expect(ids(s.list({statuses: ['running', 'failed']}))).toEqual(['t2', 't5', 't6']);
				expect(ids(s.list({statuses: ['needs_input']}))).toEqual([]);
				expect(ids(s.list({statuses: []}))).toEqual([]);
			});

			it('with a limit returns the newest ones, still oldest first', () => {
				const s = open();
				seed(s);
				expect(ids(s.list({limit: 3}))).toEqual(['t5', 't6', 't7']);
				expect(ids(s.list({limit: 1}))).toEqual(['t7']);
				expect(ids(s.list({limit: 100}))).toHaveLength(7);
				expect(s.list({limit: 0})).toEqual([]);
			});

			it('applies the limit after the status filter', () => {
				const s = open();
				seed(s);
				expect(ids(s.list({statuses: ['queued', 'running'], limit: 3}))).toEqual(['t4', 't6', 't7']);
				expect(ids(s.list({statuses: ['completed'], limit: 5}))).toEqual(['t3']);
			});

			it('refuses a limit that is not a whole number ≥ 0', () => {
				const s = open();
				expect(() => s.list({limit: -1})).toThrow(TypeError);
				expect(() => s.list({limit: 1.5})).toThrow(TypeError);
				expect(() => s.list({limit: Number.NaN})).toThrow(TypeError);
			});
		});

		describe('close', () => {
			it('is idempotent, and the store refuses work afterwards', () => {
				const s = open();
				s.insert(minimalTask('x'));
				s.close();
				expect(() => {
					s.close();
				}).not.toThrow();
				expect(() => s.get('x')).toThrow(FleetError);
				expect(() => {
					s.insert(minimalTask('y'));
				}).toThrow(/closed/);
			});
		});
	});
}
