import {describe, expect, it} from 'vitest';
import {InvalidInputError} from '../../source/core/domain/errors.js';
import {createTask, type Task} from '../../source/core/domain/task.js';
import {EventBus} from '../../source/core/events.js';
import {RemoteCommands, type LocalControl} from '../../source/core/fleet/remote-commands.js';
import type {CommandOutcome, HostQuestion, RemoteCommand, RemoteControl} from '../../source/core/ports/remote-control.js';
import {FakeClock} from '../fakes/fake-clock.js';

// Where a change to a task is made: here when this host holds it, by a command to the host that holds it, or in the
// shared store when nobody does; the holder's side carries out what it holds and points on to where a task went.
// The PostgreSQL side is proven in test/adapters/postgres/task-commands.test.ts, the whole in test/e2e/multi-host-control.test.ts.

const DEFAULTS = {priority: 'P1', permissionMode: 'acceptEdits', mode: 'pty', timeoutMs: 60_000} as const;

function task(id: string, changes: Partial<Task> = {}): Task {
	return {...createTask({prompt: id, cwd: '/work'}, {id, sessionId: `session-${id}`}, 1000, DEFAULTS), ...changes};
}

type Setup = {tasks: Task[]; held?: string[]; holders?: Record<string, string>; outcomes?: Record<string, (command: RemoteCommand) => CommandOutcome>; claimedBy?: string};

function setup({tasks, held = [], holders = {}, outcomes = {}, claimedBy}: Setup) {
	const byId = new Map(tasks.map(one => [one.id, one]));
	const sent: {host: string; command: RemoteCommand}[] = [];
	const changedFree: Task[] = [];
	const local: string[] = [];
	const notes: string[] = [];
	let carryOut: ((command: RemoteCommand) => Promise<CommandOutcome>) | undefined;
	let published: readonly HostQuestion[] = [];
	const elsewhere: HostQuestion[] = [];
	const remote: RemoteControl = {
		send: async (host, command) => {
			sent.push({host, command});
			return outcomes[host]?.(command) ?? {ok: true, tasks: ['taskId' in command ? byId.get(command.taskId)! : task('none')]};
		},
		changeFree: async changed => {
			if (claimedBy) return {heldBy: claimedBy};
			changedFree.push(changed);
			return undefined;
		},
		serve: serve => (carryOut = serve),
		publishQuestions: questions => (published = questions),
		questionsElsewhere: () => elsewhere,
	};
	const here = (what: string) => (id: string) => {
		local.push(`${what} ${id}`);
		return byId.get(id)!;
	};
	const localControl: LocalControl = {
		cancel: async id => here('cancel')(id),
		reprioritize: here('reprioritize'),
		addDependencies: here('depend'),
		respond: here('respond'),
		respondMatching: () => [],
	};
	const commands = new RemoteCommands({
		remote,
		hostId: 'a',
		clock: new FakeClock(),
		bus: new EventBus(),
		local: localControl,
		holds: id => held.includes(id),
		holder: id => holders[id],
		get: id => byId.get(id)!,
		find: id => byId.get(id),
		waiting: () => [],
		logTail: () => '',
		note: (id, text) => notes.push(`${id}: ${text}`),
		checkDependencies: (_task, dependsOn) => dependsOn,
	});
	commands.start();
	return {commands, sent, changedFree, local, notes, elsewhere, carryOut: (command: RemoteCommand) => carryOut!(command), published: () => published};
}

describe('remote commands', () => {
	it('changes a task this host holds here, one another host holds by a command to it, and a queued task nobody holds in the shared store', async () => {
		const {commands, sent, changedFree, local} = setup({tasks: [task('mine'), task('theirs', {status: 'running'}), task('free')], held: ['mine'], holders: {theirs: 'b'}});
		await commands.run({kind: 'reprioritise', taskId: 'mine', priority: 'P0'});
		await commands.run({kind: 'cancel', taskId: 'theirs', by: 'cli'});
		const free = await commands.run({kind: 'reprioritise', taskId: 'free', priority: 'P2'});
		expect(local).toEqual(['reprioritize mine']);
		expect(sent).toEqual([{host: 'b', command: {kind: 'cancel', taskId: 'theirs', by: 'cli (from host a)', from: 'a'}}]);
		expect(changedFree.map(one => [one.id, one.priority])).toEqual([['free', 'P2']]);
		expect(free.priority).toBe('P2');
	});

	it('cancels a queued task nobody holds in the shared store, as ended, with who cancelled it and why', async () => {
		const {commands, changedFree} = setup({tasks: [task('free')]});
		await commands.run({kind: 'cancel', taskId: 'free', by: 'cli', reason: 'not needed'});
		expect(changedFree[0]).toMatchObject({status: 'cancelled', cancelledBy: 'cli (from host a)', failureReason: 'not needed', endedAt: expect.any(Number)});
	});

	it('sends the change to the host that claimed a free task meanwhile, and on to where a task went when its holder lost it', async () => {
		const claimed = setup({tasks: [task('free')], claimedBy: 'c'});
		await claimed.commands.run({kind: 'reprioritise', taskId: 'free', priority: 'P0'});
		expect(claimed.sent.map(one => one.host)).toEqual(['c']);
		const moved = setup({
			tasks: [task('moving', {status: 'running'})],
			holders: {moving: 'b'},
			outcomes: {b: () => ({ok: false, notHeld: true, heldBy: 'c', message: 'Task moving is no longer held by host b; host c holds it.'})},
		});
		await moved.commands.run({kind: 'cancel', taskId: 'moving', by: 'cli'});
		expect(moved.sent.map(one => one.host)).toEqual(['b', 'c']);
	});

	it("gives the holder's refusal as its own, and does not change a queued task to what it already is", async () => {
		const {commands, changedFree} = setup({
			tasks: [task('theirs', {status: 'running'}), task('free', {priority: 'P0'})],
			holders: {theirs: 'b'},
			outcomes: {b: () => ({ok: false, message: 'Task theirs is running; only a queued task can change priority.'})},
		});
		await expect(commands.run({kind: 'reprioritise', taskId: 'theirs', priority: 'P0'})).rejects.toThrow(
			new InvalidInputError('Task theirs is running; only a queued task can change priority.'),
		);
		await commands.run({kind: 'reprioritise', taskId: 'free', priority: 'P0'});
		expect(changedFree).toEqual([]);
	});

	it('on the holder: carries out what it holds, with a line in the log naming the sender, and points on to where a task went', async () => {
		const {carryOut, local, notes} = setup({tasks: [task('mine'), task('gone', {status: 'running'})], held: ['mine'], holders: {gone: 'c'}});
		expect(await carryOut({kind: 'reprioritise', taskId: 'mine', priority: 'P0', from: 'b'})).toMatchObject({ok: true, tasks: [{id: 'mine'}]});
		expect(local).toEqual(['reprioritize mine']);
		expect(notes).toEqual(['mine: [ccfleet] moved to P0 from host b\n']);
		expect(await carryOut({kind: 'cancel', taskId: 'gone', by: 'cli', from: 'b'})).toEqual({
			ok: false,
			notHeld: true,
			heldBy: 'c',
			message: 'Task gone is no longer held by host a; host c holds it.',
		});
	});

	it("lists the other hosts' questions with this host's, oldest first, and answers alike on every host that has one", async () => {
		const {commands, elsewhere, sent} = setup({tasks: [], holders: {tb: 'b', tc: 'c'}});
		const question = {toolName: 'Bash', toolInput: {command: 'npm test'}, question: 'Allow Bash(npm test)?'};
		elsewhere.push({host: 'b', taskId: 'tb', question, askedAt: 2000, context: []}, {host: 'c', taskId: 'tc', question, askedAt: 1000, context: []});
		expect(commands.questions().map(one => [one.host, one.taskId])).toEqual([
			['c', 'tc'],
			['b', 'tb'],
		]);
		await commands.respondMatching('Bash(npm test)', {behavior: 'allow'}, {});
		expect(sent.map(one => [one.host, one.command.kind])).toEqual([
			['b', 'answer-matching'],
			['c', 'answer-matching'],
		]);
	});

	it('leaves out the questions of a host whose tasks moved on (one that died: taken over, or queued again), and lists those it cannot tell about yet', async () => {
		const {commands, elsewhere, sent} = setup({
			tasks: [task('moved', {status: 'running'}), task('requeued', {status: 'queued'}), task('still', {status: 'needs_input'}), task('fresh', {status: 'running'})],
			holders: {moved: 'a', still: 'c'},
		});
		const question = {toolName: 'Bash', toolInput: {command: 'make'}, question: 'Allow Bash(make)?'};
		elsewhere.push(
			{host: 'b', taskId: 'moved', question, askedAt: 1000, context: []},
			{host: 'b', taskId: 'requeued', question, askedAt: 1500, context: []},
			{host: 'c', taskId: 'still', question, askedAt: 2000, context: []},
			// Its holder not heard of yet, its needs_input not either: asked all the same.
			{host: 'd', taskId: 'fresh', question, askedAt: 2500, context: []},
			{host: 'd', taskId: 'unknown', question, askedAt: 3000, context: []},
		);
		expect(commands.questions().map(one => [one.host, one.taskId])).toEqual([
			['c', 'still'],
			['d', 'fresh'],
			['d', 'unknown'],
		]);
		await commands.respondMatching('Bash(make)', {behavior: 'allow'}, {});
		expect(sent.map(one => one.host)).toEqual(['c', 'd']);
	});
});
