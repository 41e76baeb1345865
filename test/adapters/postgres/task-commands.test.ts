import type pg from 'pg';
import {describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {MirroredTaskStore} from '../../../source/adapters/postgres/mirrored-task-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {TaskClaims} from '../../../source/adapters/postgres/task-claims.js';
import {TaskCommands, type TaskCommandsOptions} from '../../../source/adapters/postgres/task-commands.js';
import type {CommandOutcome, HostQuestion, RemoteCommand} from '../../../source/core/ports/remote-control.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {useMigratedDatabase} from '../../helpers/postgres-database.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

// Commands to the host that holds a task, and every host's questions, on a real PostgreSQL: what one host sends,
// another carries out and answers; a host that does not answer in time is named; what waited for a host that was down
// is carried out when it starts; a queued task nobody holds is changed directly, unless a host claimed it meanwhile.
const server = usePostgres();
let url: string;
let admin: pg.Pool;
const cleanups = useMigratedDatabase(server, database => ({url, admin} = database));

async function host(hostId: string, options: Partial<TaskCommandsOptions> = {}): Promise<TaskCommands> {
	const pool = await openPool(url, {applicationName: hostId});
	const changes = new ChangeFeed(url, {applicationName: `ccfleet commands ${hostId}`});
	const commands = await TaskCommands.open(pool, changes, {hostId, changeFree: async () => undefined, ...options});
	cleanups.push(async () => {
		await commands.close();
		await changes.stop();
		await pool.end();
	});
	return commands;
}

/** A holder that records what it was sent and answers with the task it names. */
function recorder(answer: (command: RemoteCommand) => CommandOutcome = command => ({ok: true, tasks: [minimalTask('taskId' in command ? command.taskId : 'none')]})) {
	const seen: RemoteCommand[] = [];
	return {
		seen,
		carryOut: async (command: RemoteCommand) => {
			seen.push(command);
			return answer(command);
		},
	};
}

describe('task commands', () => {
	it('carries a command to the holder, which carries it out and answers; the row keeps who asked and the outcome', async () => {
		const a = await host('a');
		const b = await host('b');
		const holder = recorder();
		b.serve(holder.carryOut);
		const outcome = await a.send('b', {kind: 'cancel', taskId: 't1', by: 'someone', reason: 'not needed'});
		expect(outcome).toMatchObject({ok: true, tasks: [{id: 't1'}]});
		expect(holder.seen).toEqual([{kind: 'cancel', taskId: 't1', by: 'someone', reason: 'not needed'}]);
		const {rows} = await admin.query('SELECT target_host, task_id, kind, requested_by, done_at IS NOT NULL AS done, outcome FROM task_commands');
		expect(rows).toEqual([{target_host: 'b', task_id: 't1', kind: 'cancel', requested_by: 'a', done: true, outcome: expect.objectContaining({ok: true})}]);
	});

	it("gives the sender the holder's refusal as it said it", async () => {
		const a = await host('a');
		const b = await host('b');
		b.serve(recorder(() => ({ok: false, message: 'Task t2 is running; only a queued task can change priority.'})).carryOut);
		await expect(a.send('b', {kind: 'reprioritise', taskId: 't2', priority: 'P0'})).resolves.toEqual({
			ok: false,
			message: 'Task t2 is running; only a queued task can change priority.',
		});
	});

	it('names the host that did not answer in time and the lease, and that host never carries the command out later', async () => {
		const a = await host('a', {timeoutMs: 1000, leaseMs: 15_000});
		const started = Date.now();
		await expect(a.send('gone', {kind: 'cancel', taskId: 't3', by: 'someone'})).rejects.toThrow(
			'Host gone did not answer within 1 s; if it is down, its tasks move to another host when its lease runs out (CCFLEET_LEASE_MS, 15 s here).',
		);
		expect(Date.now() - started).toBeGreaterThanOrEqual(900);
		// The host comes back: the change its sender gave up on is not made behind its back.
		const gone = await host('gone');
		const holder = recorder();
		gone.serve(holder.carryOut);
		const answered = await a.send('gone', {kind: 'reprioritise', taskId: 't3', priority: 'P2'});
		expect(answered.ok).toBe(true);
		expect(holder.seen.map(command => command.kind)).toEqual(['reprioritise']);
	});

	it('carries out, in the order sent, the commands that waited while their host was down, once it serves', async () => {
		const a = await host('a');
		const first = a.send('late', {kind: 'reprioritise', taskId: 't4', priority: 'P0'});
		const second = a.send('late', {kind: 'cancel', taskId: 't4', by: 'someone'});
		await waitFor('both commands to wait in the table', async () => (await admin.query('SELECT id FROM task_commands WHERE done_at IS NULL')).rowCount === 2);
		const late = await host('late');
		const holder = recorder();
		late.serve(holder.carryOut);
		await expect(first).resolves.toMatchObject({ok: true});
		await expect(second).resolves.toMatchObject({ok: true});
		expect(holder.seen.map(command => command.kind)).toEqual(['reprioritise', 'cancel']);
	});

	it('takes again at start a command an earlier run of the host took but never answered', async () => {
		const a = await host('a');
		const sent = a.send('crashed', {kind: 'cancel', taskId: 't5', by: 'someone'});
		await waitFor('the command to wait', async () => (await admin.query('SELECT id FROM task_commands')).rowCount === 1);
		// An earlier run took it and died before it answered.
		await admin.query('UPDATE task_commands SET taken_at = now()');
		const crashed = await host('crashed');
		crashed.serve(recorder().carryOut);
		await expect(sent).resolves.toMatchObject({ok: true, tasks: [{id: 't5'}]});
	});

	it('changes a queued task nobody holds directly, and names the host that claimed it meanwhile instead of changing it', async () => {
		const rows = new PostgresTaskStore(admin);
		await rows.insert(minimalTask('free', {createdAt: 1}));
		await rows.insert(minimalTask('taken', {createdAt: 2}));
		const pool = await openPool(url, {applicationName: 'a'});
		const changes = new ChangeFeed(url, {applicationName: 'ccfleet mirror a'});
		const mirror = await MirroredTaskStore.open(pool, changes, {hostId: 'a'});
		cleanups.push(async () => {
			mirror.close();
			await mirror.closed();
			await changes.stop();
			await pool.end();
		});
		const a = await host('a', {changeFree: task => mirror.changeFree(task)});
		expect(await a.changeFree({...mirror.get('free')!, priority: 'P0'})).toBeUndefined();
		expect((await rows.get('free'))!.priority).toBe('P0');
		// The mirror has it at once: a view after the change shows it.
		expect(mirror.get('free')!.priority).toBe('P0');
		// Host b claims both (the P0 one first) while a still sees them free: a's change names b and changes nothing.
		const bPool = await openPool(url, {applicationName: 'b'});
		cleanups.push(() => bPool.end());
		const claimed = await new TaskClaims(bPool, {hostId: 'b'}).claim(2);
		expect(claimed.map(task => task.id)).toEqual(['free', 'taken']);
		expect(await a.changeFree({...mirror.get('taken')!, priority: 'P2'})).toEqual({heldBy: 'b'});
		expect((await rows.get('taken'))!.priority).toBe('P1');
	});

	it("lists every other host's waiting questions, with their context, and withdraws a host's when they are answered or it stops", async () => {
		const a = await host('a');
		const b = await host('b');
		const question: HostQuestion = {
			host: 'b',
			taskId: 't6',
			question: {toolName: 'Bash', toolInput: {command: 'npm test'}, question: 'Allow Bash(npm test)?'},
			askedAt: 1000,
			context: ['running tests'],
		};
		b.publishQuestions([question]);
		await waitFor("a to hear b's question", () => a.questionsElsewhere().length === 1);
		expect(a.questionsElsewhere()).toEqual([question]);
		expect(b.questionsElsewhere()).toEqual([]);
		b.publishQuestions([]);
		await waitFor('the answered question to be withdrawn', () => a.questionsElsewhere().length === 0);
		b.publishQuestions([{...question, taskId: 't7'}]);
		await waitFor("a to hear b's next question", () => a.questionsElsewhere().length === 1);
		await b.close();
		await waitFor("a to see b's questions gone with it", () => a.questionsElsewhere().length === 0);
	});
});
