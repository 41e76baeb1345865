import {describe, expect, it} from 'vitest';
import {InvalidInputError, TaskNotFoundError} from '../../source/core/domain/errors.js';
import type {Task} from '../../source/core/domain/task.js';
import {createFleet, RESUME_PROMPT, type FleetOptions} from '../../source/core/fleet.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

const git = {snapshot: async (cwd: string) => ({branch: 'main', sha: `sha-of-${cwd}`, dirtyFiles: ['src/a.ts']})};

function setup(options: Partial<FleetOptions> = {}, store = new MemoryTaskStore()) {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver();
	const system = new FakeSystemMonitor();
	const output = new MemoryOutputLog();
	const fleet = createFleet({store, output, driver, clock, system, ids: new SequentialIds(), git}, {staggerMs: 0, maxWorkers: 2, ...options});
	const statuses: string[] = [];
	fleet.on('task:updated', ({task, previous}) => {
		if (task.status !== previous) statuses.push(`${task.id}:${previous}→${task.status}`);
	});
	return {fleet, clock, driver, system, store, output, statuses};
}

const submit = (fleet: ReturnType<typeof setup>['fleet'], prompt = 'do it', extra: Partial<Task> = {}) => fleet.submit({prompt, cwd: '/work', ...extra});

describe('Fleet', () => {
	it('runs a task to completion with the worker result, persisting every step', async () => {
		const {fleet, driver, store, statuses} = setup();
		await fleet.start();
		const task = submit(fleet);
		expect(driver.started).toHaveLength(1);
		expect(driver.started[0]!.spec).toMatchObject({taskId: 't1', prompt: 'do it', cwd: '/work', resume: false, permissionMode: 'acceptEdits'});
		driver.worker('t1').listener.onOutput('hello\n');
		driver.worker('t1').listener.onUsage({costUsd: 0.25, tokens: {input: 10, output: 5, cacheRead: 1, cacheCreation: 2}});
		driver.worker('t1').finish('all done');
		const done = store.get(task.id)!;
		expect(done).toMatchObject({status: 'completed', result: 'all done', exitCode: 0, attempts: 1, costUsd: 0.25, worker: {pid: 1000, startTime: 42}});
		expect(done.tokens.output).toBe(5);
		expect(fleet.logs(task.id).text).toBe('hello\n');
		expect(statuses).toEqual(['t1:queued→running', 't1:running→completed']);
	});

	it('runs P0 before P1 before P2, first in first out within one, up to the worker cap', async () => {
		const {fleet, driver} = setup({maxWorkers: 1});
		await fleet.start();
		submit(fleet, 'first');
		submit(fleet, 'low', {priority: 'P2'});
		submit(fleet, 'mid-a', {priority: 'P1'});
		submit(fleet, 'urgent', {priority: 'P0'});
		submit(fleet, 'mid-b', {priority: 'P1'});
		expect(fleet.queueOrder()).toEqual(['t4', 't3', 't5', 't2']);
		const order: string[] = [];
		while (driver.started.length > order.length) {
			const worker = driver.started[order.length]!;
			order.push(worker.spec.prompt);
			worker.finish('ok');
		}
		expect(order).toEqual(['first', 'urgent', 'mid-a', 'mid-b', 'low']);
	});

	it('staggers start-ups by the configured gap', async () => {
		const {fleet, driver, clock} = setup({maxWorkers: 4, staggerMs: 300});
		await fleet.start();
		submit(fleet);
		submit(fleet);
		submit(fleet);
		expect(driver.started).toHaveLength(1);
		clock.advance(299);
		expect(driver.started).toHaveLength(1);
		clock.advance(1);
		expect(driver.started).toHaveLength(2);
		clock.advance(300);
		expect(driver.started).toHaveLength(3);
	});

	it('fails a task whose worker was killed by a signal, never completing it', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		const task = submit(fleet);
		driver.worker(task.id).exit({exitCode: null, signal: 'SIGKILL', result: 'half an answer'});
		expect(store.get(task.id)).toMatchObject({status: 'failed', exitCode: null, failureReason: 'claude was killed by SIGKILL before it finished.'});
	});

	it('fails a task whose worker exits without a result, naming the exit code', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet);
		driver.worker('t1').exit({exitCode: 1, signal: null});
		submit(fleet);
		driver.worker('t2').exit({exitCode: 0, signal: null});
		submit(fleet);
		driver.worker('t3').exit({exitCode: 0, signal: null, result: 'x', error: 'API Error: overloaded'});
		expect(store.get('t1')!.failureReason).toBe('claude exited with code 1 before it finished.');
		expect(store.get('t2')!.failureReason).toBe('claude exited without finishing its turn.');
		expect(store.get('t3')).toMatchObject({status: 'failed', failureReason: 'API Error: overloaded'});
	});

	it('fails a task the driver cannot start, with the reason, and goes on with the queue', async () => {
		const {fleet, driver, store} = setup({maxWorkers: 1});
		await fleet.start();
		driver.failStartWith = new Error('claude not found');
		submit(fleet);
		driver.failStartWith = undefined;
		submit(fleet);
		expect(store.get('t1')).toMatchObject({status: 'failed', failureReason: 'The worker could not start: claude not found'});
		expect(store.get('t2')!.status).toBe('running');
	});

	it('times a task out after its timeout, stopping the worker', async () => {
		const {fleet, driver, clock, store} = setup();
		await fleet.start();
		submit(fleet, 'slow', {timeoutMs: 60_000});
		clock.advance(59_999);
		expect(store.get('t1')!.status).toBe('running');
		clock.advance(1);
		await new Promise(resolve => setImmediate(resolve));
		expect(driver.worker('t1').stopReasons).toEqual(['timed out']);
		expect(store.get('t1')).toMatchObject({status: 'failed', failureReason: "Timed out after 1 min; raise the task's timeout if it needs longer."});
	});

	it('cancels a running task by stopping its worker and records who and why', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		submit(fleet);
		const cancelled = await fleet.cancel('t1', {by: 'cli', reason: 'wrong branch'});
		expect(driver.worker('t1').stopReasons).toEqual(['cancelled by cli: wrong branch']);
		expect(cancelled).toMatchObject({status: 'cancelled', cancelledBy: 'cli', failureReason: 'wrong branch', exitCode: null});
	});

	it('cancels a queued task without starting it, and refuses to cancel a finished one', async () => {
		const {fleet, driver} = setup({maxWorkers: 1});
		await fleet.start();
		submit(fleet);
		submit(fleet);
		const cancelled = await fleet.cancel('t2', {by: 'mcp'});
		expect(cancelled).toMatchObject({status: 'cancelled', cancelledBy: 'mcp', failureReason: 'no reason given'});
		driver.worker('t1').finish('ok');
		expect(driver.started).toHaveLength(1);
		await expect(fleet.cancel('t1', {by: 'cli'})).rejects.toThrow(/already ended \(completed\)/);
	});

	it('moves a task to needs_input while its worker waits on a question, and back', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet);
		const question = {toolName: 'Bash', toolInput: {command: 'rm -rf build'}, question: 'Bash: rm -rf build'};
		driver.worker('t1').listener.onState('needs_input', question);
		expect(store.get('t1')!.status).toBe('needs_input');
		expect(fleet.worker('t1')).toEqual({taskId: 't1', state: 'needs_input', question});
		driver.worker('t1').listener.onState('busy');
		expect(store.get('t1')!.status).toBe('running');
		expect(fleet.worker('t1')).toEqual({taskId: 't1', state: 'busy'});
	});

	it('rejects bad input with errors that name the field and what is accepted', async () => {
		const {fleet} = setup();
		await fleet.start();
		expect(() => fleet.submit({prompt: '  ', cwd: '/w'})).toThrow(InvalidInputError);
		expect(() => fleet.submit({prompt: 'x', cwd: 'relative/dir'})).toThrow(/absolute path, got "relative\/dir"/);
		expect(() => fleet.submit({prompt: 'x', cwd: '/w', priority: 'P9' as never})).toThrow(/use one of P0, P1, P2/);
		expect(() => fleet.submit({prompt: 'x', cwd: '/w', permissionMode: 'yolo' as never})).toThrow(/use one of default, acceptEdits/);
		expect(() => fleet.submit({prompt: 'x', cwd: '/w', timeoutMs: -5})).toThrow(/positive number of milliseconds/);
		expect(() => fleet.get('nope')).toThrow(TaskNotFoundError);
		expect(fleet.list()).toHaveLength(0);
	});

	it("adds a role's instructions to the worker's system prompt, and refuses an unknown role", async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		submit(fleet, 'review it', {role: 'reviewer'});
		expect(driver.worker('t1').spec.systemPrompt).toMatch(/^You are the reviewer\./);
		expect(() => submit(fleet, 'x', {role: 'wizard'})).toThrow(/Unknown role "wizard". Roles: architect, implementer/);
	});

	it('accepts a prompt of several megabytes', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		const prompt = 'x'.repeat(5 * 1024 * 1024);
		submit(fleet, prompt);
		expect(driver.worker('t1').spec.prompt).toHaveLength(prompt.length);
	});

	it('on shutdown puts running tasks back in the queue to resume, and the next start resumes them', async () => {
		const first = setup();
		await first.fleet.start();
		submit(first.fleet);
		submit(first.fleet);
		submit(first.fleet);
		first.driver.resumable.add(first.store.get('t1')!.sessionId);
		await first.fleet.stop();
		expect(first.store.get('t1')).toMatchObject({status: 'queued', resumePending: true});
		expect(first.store.get('t3')!.status).toBe('queued');
		expect(() => first.fleet.submit({prompt: 'late', cwd: '/w'})).toThrow(/shutting down/);

		const second = setup({maxWorkers: 3}, first.store);
		second.driver.resumable.add(first.store.get('t1')!.sessionId);
		const report = await second.fleet.start();
		expect(report).toEqual({queued: 3, resumed: 0, restarted: 0, failed: 0});
		expect(second.driver.started.map(w => [w.spec.taskId, w.spec.resume])).toEqual([
			['t1', true],
			['t2', false],
			['t3', false],
		]);
		expect(second.driver.worker('t1').spec.prompt).toBe(RESUME_PROMPT);
		expect(second.store.get('t1')!.attempts).toBe(2);
	});

	it('after a crash accounts for every task: resumes, restarts, ends leftovers, fails the hopeless', async () => {
		const store = new MemoryTaskStore();
		const crashed = setup({maxWorkers: 3}, store);
		await crashed.fleet.start();
		for (let i = 0; i < 13; i++) submit(crashed.fleet);
		// The core dies here: nothing is stopped, the store keeps three running tasks and ten queued ones.
		expect(store.list({statuses: ['running']})).toHaveLength(3);
		store.update({...store.get('t3')!, attempts: 3});

		const next = setup({maxWorkers: 3, maxAttempts: 3}, store);
		next.driver.resumable.add(store.get('t1')!.sessionId);
		next.system.alive.add(1000);
		const report = await next.fleet.start();
		expect(report).toEqual({queued: 10, resumed: 1, restarted: 1, failed: 1});
		expect(next.system.killed).toEqual(['t1:1000', 't2:1001', 't3:1002']);
		expect(store.get('t3')).toMatchObject({status: 'failed', failureReason: expect.stringMatching(/lost 3 times/)});
		expect(next.driver.started.map(w => `${w.spec.taskId}:${w.spec.resume}`)).toEqual(['t1:true', 't2:false', 't4:false']);
		while (next.driver.started.some(w => !w.exited)) {
			for (const worker of next.driver.started.filter(w => !w.exited)) worker.finish('ok');
		}
		const statuses = store.list().map(t => t.status);
		expect(statuses.filter(s => s === 'completed')).toHaveLength(12);
		expect(statuses.filter(s => s === 'failed')).toHaveLength(1);
	});

	it('keeps running when a listener throws, and reports it', async () => {
		const {fleet, driver, store} = setup();
		const errors: string[] = [];
		fleet.on('fleet:error', ({message}) => errors.push(message));
		fleet.on('task:updated', () => {
			throw new Error('ui bug');
		});
		await fleet.start();
		submit(fleet);
		driver.worker('t1').finish('ok');
		expect(store.get('t1')!.status).toBe('completed');
		expect(errors.length).toBeGreaterThan(0);
	});
});

describe('Fleet.respond', () => {
	it('passes an answer to the waiting worker and refuses one nobody waits for', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		submit(fleet);
		expect(() => fleet.respond('t1', {behavior: 'allow'})).toThrow(/not waiting for a permission answer \(it is running\)/);
		driver.worker('t1').listener.onState('needs_input', {toolName: 'Bash', toolInput: {}, question: 'Allow Bash?'});
		fleet.respond('t1', {behavior: 'deny', message: 'not today'});
		expect(driver.worker('t1').answers).toEqual([{behavior: 'deny', message: 'not today'}]);
	});
});

describe('retry, resume and the queue', () => {
	it('retries a finished task as a new one with the same settings and a new conversation', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet, 'build it', {priority: 'P0', permissionMode: 'default', timeoutMs: 5000, maxOutputBytes: 99});
		expect(() => fleet.retry('t1')).toThrow(/still running; only a finished task can retry/);
		driver.worker('t1').exit({exitCode: 1, signal: null});
		const retried = fleet.retry('t1');
		expect(retried).toMatchObject({id: 't2', retryOf: 't1', prompt: 'build it', priority: 'P0', permissionMode: 'default', timeoutMs: 5000, maxOutputBytes: 99});
		expect(retried.sessionId).not.toBe(store.get('t1')!.sessionId);
		expect(driver.worker('t2').spec).toMatchObject({resume: false, prompt: 'build it'});
	});

	it('resumes the conversation of a finished task when it is on disk, with the additional context as prompt', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet, 'write the parser');
		driver.worker('t1').finish('parser written');
		driver.resumable.add(store.get('t1')!.sessionId);
		const resumed = fleet.resume('t1', 'now add tests');
		expect(resumed).toMatchObject({parentTaskId: 't1', sessionId: store.get('t1')!.sessionId});
		expect(driver.worker(resumed.id).spec).toMatchObject({resume: true, prompt: 'now add tests', sessionId: store.get('t1')!.sessionId});
	});

	it('resumes without a transcript by retelling the task in a fresh conversation', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet, 'write the parser');
		driver.worker('t1').exit({exitCode: null, signal: 'SIGKILL'});
		const resumed = fleet.resume('t1');
		expect(resumed.sessionId).not.toBe(store.get('t1')!.sessionId);
		const spec = driver.worker(resumed.id).spec;
		expect(spec.resume).toBe(false);
		expect(spec.prompt).toContain('The earlier task was:\nwrite the parser');
		expect(spec.prompt).toContain('It ended failed: claude was killed by SIGKILL');
	});

	it('reprioritizes a queued task to the back of its new line, and refuses others', async () => {
		const {fleet} = setup({maxWorkers: 1});
		await fleet.start();
		submit(fleet, 'running');
		submit(fleet, 'a', {priority: 'P1'});
		submit(fleet, 'b', {priority: 'P0'});
		submit(fleet, 'c', {priority: 'P2'});
		expect(fleet.queueOrder()).toEqual(['t3', 't2', 't4']);
		expect(fleet.reprioritize('t4', 'P0').priority).toBe('P0');
		expect(fleet.queueOrder()).toEqual(['t3', 't4', 't2']);
		expect(() => fleet.reprioritize('t1', 'P2')).toThrow(/t1 is running; only a queued task/);
		expect(() => fleet.reprioritize('t2', 'P5' as never)).toThrow(/use one of P0, P1, P2/);
	});

	it('types into a live worker and refuses a task without one', async () => {
		const {fleet, driver} = setup({maxWorkers: 1});
		await fleet.start();
		submit(fleet);
		submit(fleet);
		fleet.sendInput('t1', 'yes\r');
		expect(driver.worker('t1').written).toEqual(['yes\r']);
		expect(() => fleet.sendInput('t2', 'x')).toThrow(/has no live worker \(it is queued\)/);
	});

	it('sums the cost of all tasks', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		submit(fleet);
		driver.worker('t1').listener.onUsage({costUsd: 0.5, tokens: {input: 1, output: 1, cacheRead: 0, cacheCreation: 0}});
		submit(fleet);
		driver.worker('t2').listener.onUsage({costUsd: 0.25, tokens: {input: 1, output: 1, cacheRead: 0, cacheCreation: 0}});
		expect(fleet.totalCostUsd()).toBeCloseTo(0.75);
	});
});

/** Lets the checkpoint (an async git look) finish, after which dependents are released. */
const settle = () => new Promise(resolve => setImmediate(resolve));

describe('dependencies', () => {
	it('runs a diamond in order: d waits for b and c, which wait for a', async () => {
		const {fleet, driver} = setup({maxWorkers: 4});
		await fleet.start();
		const a = submit(fleet, 'a');
		const b = submit(fleet, 'b', {dependsOn: [a.id]});
		const c = submit(fleet, 'c', {dependsOn: [a.id]});
		const d = submit(fleet, 'd', {dependsOn: [b.id, c.id]});
		expect(driver.started.map(w => w.spec.taskId)).toEqual(['t1']);
		expect(fleet.waitingOn(d.id).sort()).toEqual(['t2', 't3']);
		driver.worker(a.id).finish('a done');
		await settle();
		expect(driver.started.map(w => w.spec.taskId)).toEqual(['t1', 't2', 't3']);
		driver.worker(b.id).finish('b done');
		await settle();
		expect(fleet.waitingOn(d.id)).toEqual(['t3']);
		driver.worker(c.id).finish('c done');
		await settle();
		expect(driver.worker(d.id).spec.prompt).toBe('d');
	});

	it('fails dependents down the graph when a dependency fails (the default)', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		const a = submit(fleet, 'a');
		const b = submit(fleet, 'b', {dependsOn: [a.id]});
		const c = submit(fleet, 'c', {dependsOn: [b.id]});
		driver.worker(a.id).exit({exitCode: 1, signal: null});
		await settle();
		await settle();
		expect(store.get(b.id)).toMatchObject({status: 'failed', failureReason: expect.stringMatching(/^Not started: dependency t1 failed/)});
		expect(store.get(c.id)).toMatchObject({status: 'failed', failureReason: expect.stringMatching(/^Not started: dependency t2 failed/)});
		expect(driver.started).toHaveLength(1);
	});

	it('skips, or runs with a note, as each dependent chose', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		const a = submit(fleet, 'a');
		const skipper = submit(fleet, 'skip me', {dependsOn: [a.id], onDependencyFailure: 'skip'});
		const runner = submit(fleet, 'run anyway', {dependsOn: [a.id], onDependencyFailure: 'run'});
		await fleet.cancel(a.id, {by: 'cli', reason: 'changed my mind'});
		await settle();
		expect(store.get(skipper.id)).toMatchObject({status: 'skipped', failureReason: 'Skipped: dependency t1 cancelled (changed my mind).'});
		const prompt = driver.worker(runner.id).spec.prompt;
		expect(prompt).toContain('- t1 ended cancelled: changed my mind');
		expect(prompt.endsWith('run anyway')).toBe(true);
	});

	it('puts the checkpoint of the task it continues from into the prompt', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		const a = submit(fleet, 'write the parser');
		const b = submit(fleet, 'now test it', {continueFrom: a.id});
		driver.worker(a.id).listener.onOutput('step one\nstep two\n');
		driver.worker(a.id).finish('parser in src/parse.ts');
		await settle();
		expect(store.get(a.id)!.checkpoint).toMatchObject({
			git: {branch: 'main', sha: 'sha-of-/work', dirtyFiles: ['src/a.ts']},
			outputTail: ['step one', 'step two'],
			result: 'parser in src/parse.ts',
		});
		const prompt = driver.worker(b.id).spec.prompt;
		expect(prompt).toContain('This task continues from task t1, which completed. Its prompt was:\nwrite the parser');
		expect(prompt).toContain('Its result:\nparser in src/parse.ts');
		expect(prompt).toContain('on branch main at sha-of-/work, with uncommitted changes in src/a.ts');
		expect(prompt).toContain('step two');
		expect(prompt.endsWith('now test it')).toBe(true);
	});

	it('refuses an unknown dependency and a bad policy, and starts at once when dependencies already completed', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		expect(() => submit(fleet, 'x', {dependsOn: ['nope']})).toThrow('The dependency "nope" is not a known task.');
		expect(() => submit(fleet, 'x', {onDependencyFailure: 'maybe' as never})).toThrow(/use one of fail, skip, run/);
		const a = submit(fleet, 'a');
		driver.worker(a.id).finish('ok');
		await settle();
		const b = submit(fleet, 'b', {dependsOn: [a.id]});
		expect(fleet.get(b.id).status).toBe('running');
		const failed = submit(fleet, 'f');
		driver.worker(failed.id).exit({exitCode: 1, signal: null});
		const late = submit(fleet, 'late', {dependsOn: [failed.id]});
		expect(fleet.get(late.id)).toMatchObject({status: 'failed', failureReason: expect.stringMatching(/dependency t\d failed/)});
	});

	it('refuses new dependencies that close a cycle, naming it, and adds the others', async () => {
		const {fleet, driver} = setup({maxWorkers: 1});
		await fleet.start();
		const running = submit(fleet, 'busy');
		const a = submit(fleet, 'a');
		const b = submit(fleet, 'b', {dependsOn: [a.id]});
		const c = submit(fleet, 'c', {dependsOn: [b.id]});
		expect(() => fleet.addDependencies(a.id, [c.id])).toThrow(`That would make tasks wait on each other in a cycle: t2 → t4 → t3 → t2.`);
		expect(() => fleet.addDependencies(a.id, [a.id])).toThrow('cannot depend on itself');
		expect(() => fleet.addDependencies(running.id, [a.id])).toThrow(/only a queued task/);
		const d = submit(fleet, 'd');
		fleet.addDependencies(a.id, [d.id]);
		expect(fleet.waitingOn(a.id)).toEqual([d.id]);
		expect(fleet.queueOrder()).toEqual([d.id]);
		driver.worker(running.id).finish('ok');
		driver.worker(d.id).finish('ok');
		await settle();
		expect(driver.worker(a.id).spec.prompt).toBe('a');
	});

	it('cancels a waiting task without starting it', async () => {
		const {fleet, driver} = setup();
		await fleet.start();
		const a = submit(fleet, 'a');
		const b = submit(fleet, 'b', {dependsOn: [a.id]});
		await fleet.cancel(b.id, {by: 'cli'});
		driver.worker(a.id).finish('ok');
		await settle();
		expect(driver.started).toHaveLength(1);
		expect(fleet.waitingOn(b.id)).toEqual([]);
	});

	it('keeps dependents waiting across a restart', async () => {
		const store = new MemoryTaskStore();
		const first = setup({}, store);
		await first.fleet.start();
		const a = submit(first.fleet, 'a');
		const b = submit(first.fleet, 'b', {dependsOn: [a.id]});
		const second = setup({}, store);
		await second.fleet.start();
		expect(second.driver.started.map(w => w.spec.taskId)).toEqual([a.id]);
		expect(second.fleet.waitingOn(b.id)).toEqual([a.id]);
		second.driver.worker(a.id).finish('ok');
		await settle();
		expect(second.driver.started.map(w => w.spec.taskId)).toEqual([a.id, b.id]);
	});
});

describe('passing failures', () => {
	it('retries a task that hit a rate limit after a growing pause, resuming its conversation, up to the attempt limit', async () => {
		const {fleet, driver, clock, store} = setup({retryBaseMs: 1000, maxAttempts: 3});
		await fleet.start();
		const task = submit(fleet, 'busy API');
		driver.resumable.add(store.get(task.id)!.sessionId);
		driver.worker(task.id).exit({exitCode: 0, signal: null, error: 'claude stopped with an API error (rate_limit)', transient: true});
		expect(store.get(task.id)).toMatchObject({status: 'queued', resumePending: true});
		clock.advance(999);
		expect(driver.started).toHaveLength(1);
		clock.advance(1);
		expect(driver.started).toHaveLength(2);
		expect(driver.started[1]!.spec.resume).toBe(true);
		driver.worker(task.id).exit({exitCode: 0, signal: null, error: 'again', transient: true});
		clock.advance(1999);
		expect(driver.started).toHaveLength(2);
		clock.advance(1);
		driver.worker(task.id).exit({exitCode: 0, signal: null, error: 'still limited', transient: true});
		expect(store.get(task.id)).toMatchObject({status: 'failed', failureReason: 'still limited', attempts: 3});
		expect(fleet.logs(task.id).text).toContain('trying again in 1 s (attempt 2 of 3)');
	});

	it('holds back every new worker while the API turns workers away', async () => {
		const {fleet, driver, clock} = setup({retryBaseMs: 5000, maxWorkers: 3});
		await fleet.start();
		submit(fleet, 'limited');
		driver.worker('t1').exit({exitCode: 0, signal: null, error: 'rate_limit', transient: true});
		expect(fleet.backoff()).toEqual({until: clock.now() + 5000, reason: 'rate_limit'});
		submit(fleet, 'newcomer');
		expect(driver.started).toHaveLength(1);
		clock.advance(5000);
		expect(driver.started.map(w => w.spec.prompt)).toEqual(['limited', 'limited', 'newcomer']);
		expect(fleet.backoff()).toBeUndefined();
	});

	it("reports a live worker's memory as sampled on a timer for all workers at once, not when asked", async () => {
		const {fleet, system, clock} = setup({memorySampleMs: 1000});
		await fleet.start();
		submit(fleet);
		submit(fleet);
		system.memory.set(1000, 250 * 1024 * 1024);
		system.memory.set(1001, 100 * 1024 * 1024);
		expect(fleet.worker('t1')!.rssBytes).toBeUndefined();
		clock.advance(1000);
		await settle();
		expect(system.memorySamples).toBe(1);
		expect(fleet.worker('t1')).toMatchObject({state: 'busy', rssBytes: 250 * 1024 * 1024});
		expect(fleet.worker('t2')).toMatchObject({rssBytes: 100 * 1024 * 1024});
		fleet.workers();
		fleet.worker('t1');
		expect(system.memorySamples).toBe(1);
	});

	it('does not retry a task that failed for good', async () => {
		const {fleet, driver, store} = setup();
		await fleet.start();
		submit(fleet);
		driver.worker('t1').exit({exitCode: 1, signal: null, error: 'authentication_failed'});
		expect(store.get('t1')!.status).toBe('failed');
	});
});

describe('worktree isolation', () => {
	function withWorkspaces() {
		const calls: string[] = [];
		const workspaces = {
			create: async (cwd: string, taskId: string) => {
				calls.push(`create ${cwd} ${taskId}`);
				return {repoRoot: '/work', path: `/state/worktrees/${taskId}`, branch: `ccfleet/${taskId}`, baseSha: 'base'};
			},
			reopen: async (worktree: {repoRoot: string; path: string; branch: string; baseSha: string}) => worktree,
			check: async () => ({}),
			inspect: async () => ({directory: false, branch: false, merged: true}),
			remove: async () => ({directory: false, branch: false, merged: true}),
			finish: async (worktree: {branch: string}, {strategy}: {strategy: string}, taskId: string) => {
				calls.push(`finish ${taskId} ${strategy}`);
				return {strategy: strategy as 'auto', summary: `done with ${worktree.branch}`, merged: strategy === 'auto', branchKept: strategy !== 'auto'};
			},
		};
		const store = new MemoryTaskStore();
		const driver = new FakeWorkerDriver();
		const fleet = createFleet(
			{store, output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds(), workspaces},
			{staggerMs: 0, maxWorkers: 2},
		);
		return {fleet, driver, store, calls};
	}

	it('runs an isolated task in its own worktree (same subdirectory) and merges completed work by its strategy', async () => {
		const {fleet, driver, store, calls} = withWorkspaces();
		await fleet.start();
		fleet.submit({prompt: 'change it', cwd: '/work/pkg', isolation: 'worktree', mergeStrategy: 'auto'});
		expect(driver.started).toHaveLength(0);
		await settle();
		expect(driver.worker('t1').spec.cwd).toBe('/state/worktrees/t1/pkg');
		driver.worker('t1').finish('changed');
		await settle();
		expect(calls).toEqual(['create /work/pkg t1', 'finish t1 auto']);
		expect(store.get('t1')!.merge).toMatchObject({merged: true, summary: 'done with ccfleet/t1'});
		expect(fleet.logs('t1').text).toContain('[ccfleet] done with ccfleet/t1');
	});

	it("keeps a failed task's work on its branch instead of merging it", async () => {
		const {fleet, driver, calls} = withWorkspaces();
		await fleet.start();
		fleet.submit({prompt: 'change it', cwd: '/work', isolation: 'worktree', mergeStrategy: 'auto'});
		await settle();
		driver.worker('t1').exit({exitCode: 1, signal: null});
		await settle();
		expect(calls).toEqual(['create /work t1', 'finish t1 manual']);
	});

	it('refuses a merge strategy without isolation, and isolation where git is not available', async () => {
		const {fleet} = withWorkspaces();
		await fleet.start();
		expect(() => fleet.submit({prompt: 'x', cwd: '/work', mergeStrategy: 'auto'})).toThrow(/applies only with isolation "worktree"/);
		const {fleet: plain} = setup();
		await plain.start();
		expect(() => plain.submit({prompt: 'x', cwd: '/work', isolation: 'worktree'})).toThrow(/Worktree isolation is not available/);
	});
});
