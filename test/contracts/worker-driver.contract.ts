import {randomUUID} from 'node:crypto';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {WorkerMode, WorkerProcess} from '../../source/core/domain/task.js';
import type {PermissionQuestion, WorkerDriver, WorkerExit, WorkerHandle, WorkerListener, WorkerSpec, WorkerState, WorkerUsage} from '../../source/core/ports/worker-driver.js';
import {toolDoneReply, toolRefusedReply} from '../fixtures/mock-anthropic-api.js';
import {waitFor} from '../helpers/wait-for.js';

/**
 * A driver and the model behind its workers. Prompts are scripted in the mock Anthropic API's directives
 * (`[[reply:…]]`, `[[tool:bash:…]]`, `[[slow:…]]`), which a real claude on the mock and the autoplaying fake both obey.
 */
export type WorkerDriverHarness = {
	driver: WorkerDriver;
	mode: WorkerMode;
	/** A folder workers may run in without claude asking whether to trust it. */
	cwd: string;
	/** Every conversation request the model has received so far, each as its JSON text. */
	modelRequests(): string[];
	/** Whether a worker's process still runs. */
	isRunning(process: WorkerProcess): boolean;
	/** How long one turn may take, start-up included. */
	turnTimeoutMs: number;
	close(): Promise<void> | void;
};

type DriverEvent =
	| {kind: 'spawned'; process: WorkerProcess; wasRunning: boolean}
	| {kind: 'state'; state: WorkerState; question?: PermissionQuestion}
	| {kind: 'output'; text: string}
	| {kind: 'usage'; usage: WorkerUsage}
	| {kind: 'exit'; exit: WorkerExit; wasRunning: boolean | undefined};

/** Every call a driver makes on its listener, in order, with whether the process ran at spawn and exit. */
class EventLog implements WorkerListener {
	readonly events: DriverEvent[] = [];

	constructor(readonly isRunning: (process: WorkerProcess) => boolean) {}

	onSpawned(process: WorkerProcess): void {
		this.events.push({kind: 'spawned', process, wasRunning: this.isRunning(process)});
	}

	onState(state: WorkerState, question?: PermissionQuestion): void {
		this.events.push(question ? {kind: 'state', state, question} : {kind: 'state', state});
	}

	onOutput(text: string): void {
		this.events.push({kind: 'output', text});
	}

	onUsage(usage: WorkerUsage): void {
		this.events.push({kind: 'usage', usage});
	}

	onExit(exit: WorkerExit): void {
		const process = this.process;
		this.events.push({kind: 'exit', exit, wasRunning: process && this.isRunning(process)});
	}

	get process(): WorkerProcess | undefined {
		return this.#first('spawned')?.process;
	}

	get exit(): WorkerExit | undefined {
		return this.#first('exit')?.exit;
	}

	/** The latest usage reported; each report is the worker's total so far. */
	get usage(): WorkerUsage | undefined {
		return this.events.flatMap(event => (event.kind === 'usage' ? [event.usage] : [])).at(-1);
	}

	get states(): WorkerState[] {
		return this.events.flatMap(event => (event.kind === 'state' ? [event.state] : []));
	}

	get question(): PermissionQuestion | undefined {
		return this.events.flatMap(event => (event.kind === 'state' && event.state === 'needs_input' && event.question ? [event.question] : [])).at(0);
	}

	count(kind: DriverEvent['kind']): number {
		return this.events.filter(event => event.kind === kind).length;
	}

	index(kind: DriverEvent['kind']): number {
		return this.events.findIndex(event => event.kind === kind);
	}

	#first<K extends DriverEvent['kind']>(kind: K): Extract<DriverEvent, {kind: K}> | undefined {
		return this.events.find((event): event is Extract<DriverEvent, {kind: K}> => event.kind === kind);
	}
}

/** How the core tells a completed task from a failed one (fleet.ts). */
function isSuccess(exit: WorkerExit): boolean {
	return exit.exitCode === 0 && exit.signal === null && exit.result !== undefined && exit.error === undefined;
}

type Run = {spec: WorkerSpec; log: EventLog; handle: WorkerHandle; exited(): Promise<WorkerExit>};

/**
 * The WorkerDriver port's contract: what the core relies on from any driver. `setup` runs once for the suite;
 * cases share it, and some share a worker, since a real claude takes seconds to start.
 */
export function describeWorkerDriver(name: string, setup: () => Promise<WorkerDriverHarness> | WorkerDriverHarness): void {
	// One driver's suite runs side by side with another's (each follows workers of its own, told apart by random words,
	// ids and messages); within a suite the cases keep their order, since some share a worker.
	describe.concurrent(`WorkerDriver contract: ${name}`, () => {
		let harness: WorkerDriverHarness;
		const runs: Run[] = [];

		beforeAll(async () => {
			harness = await setup();
		});

		afterAll(async () => {
			await Promise.all(runs.map(async run => run.handle.stop('the contract suite ended')));
			await harness?.close();
		});

		function run(prompt: string, options: {sessionId?: string; resume?: boolean} = {}): Run {
			const log = new EventLog(process => harness.isRunning(process));
			const spec: WorkerSpec = {
				taskId: `contract-${randomUUID().slice(0, 8)}`,
				prompt,
				cwd: harness.cwd,
				sessionId: options.sessionId ?? randomUUID(),
				resume: options.resume ?? false,
				permissionMode: 'default',
				mode: harness.mode,
			};
			const handle = harness.driver.start(spec, log);
			const started: Run = {spec, log, handle, exited: async () => waitFor(`${spec.taskId} to exit`, () => log.exit, harness.turnTimeoutMs)};
			runs.push(started);
			return started;
		}

		async function question(of: Run): Promise<PermissionQuestion> {
			return waitFor(`${of.spec.taskId} to ask a question`, () => of.log.question, harness.turnTimeoutMs);
		}

		describe.sequential('a worker that finishes its turn', () => {
			const word = `pelican-${randomUUID().slice(0, 6)}`;
			let first: Run;

			beforeAll(async () => {
				first = run(`Remember the word ${word} [[reply:I will remember ${word}]]`);
				await first.exited();
			}, 60_000);

			it('reports onSpawned first, with the pid of a process that was running', () => {
				const spawned = first.log.events[0];
				expect(spawned).toMatchObject({kind: 'spawned', wasRunning: true});
				expect(first.log.process!.pid).toBeGreaterThan(0);
				expect(Number.isInteger(first.log.process!.pid)).toBe(true);
			});

			it('exits with code 0 and the reply as its result, after an idle state and its usage', () => {
				expect(first.log.exit).toEqual({exitCode: 0, signal: null, result: `I will remember ${word}`});
				expect(first.log.states.at(-1)).toBe('idle');
				const lastUsage = first.log.events.findLastIndex(event => event.kind === 'usage');
				expect(lastUsage).toBeGreaterThan(-1);
				expect(lastUsage).toBeLessThan(first.log.index('exit'));
				expect(first.log.usage!.tokens.output).toBeGreaterThan(0);
				expect(first.log.usage!.costUsd).toBeGreaterThan(0);
			});

			it('reports onExit exactly once, as the last event, when its process is gone', () => {
				expect(first.log.count('exit')).toBe(1);
				expect(first.log.events.at(-1)).toMatchObject({kind: 'exit', wasRunning: false});
				expect(harness.isRunning(first.log.process!)).toBe(false);
			});

			it('once exited, answer() returns false and stop() resolves without reporting anything', async () => {
				const before = first.log.events.length;
				expect(first.handle.answer({behavior: 'allow'})).toBe(false);
				await first.handle.stop('already gone');
				expect(first.log.events).toHaveLength(before);
			});

			it('canResume is true for its session and false for a session never started', () => {
				expect(harness.driver.canResume({cwd: harness.cwd, sessionId: first.spec.sessionId})).toBe(true);
				expect(harness.driver.canResume({cwd: harness.cwd, sessionId: randomUUID()})).toBe(false);
			});

			it('resumed, continues the same conversation: the model sees the earlier messages', async () => {
				const before = harness.modelRequests().length;
				const resumed = run(`Which word? [[reply:It was ${word}]]`, {sessionId: first.spec.sessionId, resume: true});
				expect(await resumed.exited()).toEqual({exitCode: 0, signal: null, result: `It was ${word}`});
				const requests = harness.modelRequests().slice(before);
				expect(
					requests.some(request => request.includes(`Remember the word ${word}`) && request.includes(`I will remember ${word}`) && request.includes('Which word?')),
				).toBe(true);
			}, 60_000);
		});

		describe.sequential('a permission question', () => {
			it('comes as needs_input with the tool; allowed, the tool runs and the turn completes', async () => {
				// A redirection needs permission in the default mode; a bare echo would run unasked.
				const command = `echo contract-allowed-${randomUUID().slice(0, 6)} > contract-allowed.txt`;
				const asking = run(`Run it [[tool:bash:${command}]]`);
				const asked = await question(asking);
				expect(asked).toMatchObject({toolName: 'Bash', toolInput: {command}});
				expect(asked.question).toEqual(expect.any(String));
				expect(asking.log.states.at(-1)).toBe('needs_input');
				expect(asking.handle.answer({behavior: 'allow'})).toBe(true);
				// The core moves the task back to running on the next state; a second answer has nothing to answer.
				expect(asking.log.states.at(-1)).not.toBe('needs_input');
				expect(asking.handle.answer({behavior: 'allow'})).toBe(false);
				const exit = await asking.exited();
				// The mock says the tool finished only when its result came back without an error.
				expect(exit).toEqual({exitCode: 0, signal: null, result: toolDoneReply});
			}, 60_000);

			it('denied, the worker reads the refusal message and the turn completes', async () => {
				const message = `Contract says no ${randomUUID().slice(0, 6)}`;
				const asking = run(`Run it [[tool:bash:echo contract-denied > contract-denied.txt]]`);
				await question(asking);
				expect(asking.handle.answer({behavior: 'deny', message})).toBe(true);
				expect(asking.log.states.at(-1)).not.toBe('needs_input');
				const exit = await asking.exited();
				expect(exit).toEqual({exitCode: 0, signal: null, result: toolRefusedReply});
				expect(harness.modelRequests().some(request => request.includes(message))).toBe(true);
				expect(existsSync(path.join(harness.cwd, 'contract-denied.txt'))).toBe(false);
			}, 60_000);
		});

		describe.sequential('a busy worker', () => {
			let busy: Run;

			beforeAll(async () => {
				busy = run('Think it over [[slow:60000]]');
				await waitFor('the worker to be busy', () => busy.log.states.includes('busy'), harness.turnTimeoutMs);
			}, 60_000);

			it('answer() returns false while no question waits', () => {
				expect(busy.handle.answer({behavior: 'allow'})).toBe(false);
				expect(busy.handle.answer({behavior: 'deny', message: 'nothing was asked'})).toBe(false);
				expect(busy.log.exit).toBeUndefined();
			});

			it('stop() resolves once its exit was reported and its process is gone, and that exit is no success', async () => {
				// Two callers at once (a cancel and a shutdown) share one stop.
				await Promise.all([busy.handle.stop('contract'), busy.handle.stop('contract again')]);
				expect(busy.log.count('exit')).toBe(1);
				expect(busy.log.events.at(-1)?.kind).toBe('exit');
				expect(harness.isRunning(busy.log.process!)).toBe(false);
				const exit = busy.log.exit!;
				expect(exit.result).toBeUndefined();
				expect(isSuccess(exit)).toBe(false);
				await busy.handle.stop('once more');
				expect(busy.log.count('exit')).toBe(1);
			}, 60_000);
		});

		it('never reports anything after onExit, for any worker it ran', () => {
			for (const {spec, log} of runs) {
				expect(log.count('exit'), spec.prompt).toBe(1);
				expect(log.events.at(-1)?.kind, spec.prompt).toBe('exit');
				expect(log.index('spawned'), spec.prompt).toBe(0);
			}
		});
	});
}
