// One listening session per host: a daemon's shared set-up (openSharedTasks + openSharedSchedules) hears the tasks, the
// schedules and the commands on a single LISTEN session, and after that session is killed it hears all three again.
import type pg from 'pg';
import {describe, expect, it} from 'vitest';
import {ChangeFeed} from '../../../source/adapters/postgres/change-feed.js';
import {openPool} from '../../../source/adapters/postgres/connection.js';
import {PostgresScheduleStore} from '../../../source/adapters/postgres/postgres-schedule-store.js';
import {PostgresTaskStore} from '../../../source/adapters/postgres/postgres-task-store.js';
import {openSharedSchedules} from '../../../source/adapters/postgres/shared-schedules.js';
import {TaskCommands} from '../../../source/adapters/postgres/task-commands.js';
import {openSharedTasks} from '../../../source/adapters/postgres/task-coordinator.js';
import {silentLogger} from '../../../source/core/ports/logger.js';
import type {RemoteCommand} from '../../../source/core/ports/remote-control.js';
import {minimalSchedule} from '../../contracts/schedule-store.contract.js';
import {minimalTask} from '../../contracts/task-store.contract.js';
import {useMigratedDatabase} from '../../helpers/postgres-database.js';
import {usePostgres} from '../../helpers/postgres-server.js';
import {waitFor} from '../../helpers/wait-for.js';

const server = usePostgres();
let url: string;
let admin: pg.Pool;
const cleanups = useMigratedDatabase(server, database => ({url, admin} = database));

/** The sessions of this database whose last statement was a LISTEN, by application_name (a session's LISTENs are its last statements). */
async function listeningSessions(): Promise<Array<{pid: number; name: string}>> {
	const {rows} = await admin.query<{pid: number; name: string}>(
		"SELECT pid, application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' ORDER BY pid",
	);
	return rows;
}

/** Host `a` as core-host wires it: the shared tasks, then the shared schedules on the same pool and change feed. */
async function daemonHost(hostId: string) {
	const tasksHeard: string[] = [];
	const schedulesHeard: string[] = [];
	const commandsCarried: RemoteCommand[] = [];
	const warnings: string[] = [];
	const logger = {...silentLogger, warn: (message: string) => warnings.push(message)};
	const shared = await openSharedTasks(url, {hostId, logger, onRemoteChange: task => tasksHeard.push(task.id)});
	const schedules = await openSharedSchedules(shared.pool, url, {
		hostId,
		logger,
		changes: shared.changes,
		onRemoteChange: change => change.schedule && schedulesHeard.push(change.schedule.id),
	}).catch(async (error: unknown) => {
		await shared.close();
		throw error;
	});
	cleanups.push(() => shared.close());
	cleanups.push(() => schedules.close());
	shared.commands.serve(async command => {
		commandsCarried.push(command);
		return {ok: true, tasks: []};
	});
	return {shared, tasksHeard, schedulesHeard, commandsCarried, warnings};
}

/** Another host that only sends commands, on a listening session of its own. */
async function sender(): Promise<TaskCommands> {
	const pool = await openPool(url, {applicationName: 'sender'});
	const changes = new ChangeFeed(url, {applicationName: 'ccfleet listener sender'});
	const commands = await TaskCommands.open(pool, changes, {hostId: 'sender', changeFree: async () => undefined});
	cleanups.push(async () => {
		await commands.close();
		await changes.stop();
		await pool.end();
	});
	return commands;
}

describe('one listening session per host', () => {
	it('hears tasks, schedules and commands on one LISTEN session, and all three again after that session is killed', async () => {
		const a = await daemonHost('a');
		const b = await sender();
		const tasks = new PostgresTaskStore(admin);
		const schedules = new PostgresScheduleStore(admin, 'admin');
		// Before: a mirror, a schedule mirror and the commands each held a LISTEN session of their own (three per host).
		expect((await listeningSessions()).filter(session => !session.name.endsWith('sender'))).toEqual([{pid: expect.any(Number), name: 'ccfleet listener a'}]);

		/** A change on each channel, each heard by host a. */
		async function changeAllThree(tag: string): Promise<void> {
			await tasks.insert(minimalTask(`task-${tag}`));
			await schedules.insert(minimalSchedule(`schedule-${tag}`));
			await expect(b.send('a', {kind: 'cancel', taskId: `task-${tag}`, by: 'b'})).resolves.toEqual({ok: true, tasks: []});
			await waitFor(`host a to hear task-${tag}`, () => a.tasksHeard.includes(`task-${tag}`));
			await waitFor(`host a to hear schedule-${tag}`, () => a.schedulesHeard.includes(`schedule-${tag}`));
			expect(a.commandsCarried.at(-1)).toMatchObject({kind: 'cancel', taskId: `task-${tag}`});
		}
		await changeAllThree('before');

		const [killed] = await listeningSessions().then(sessions => sessions.filter(session => session.name === 'ccfleet listener a'));
		await admin.query('SELECT pg_terminate_backend($1)', [killed!.pid]);
		await waitFor('host a to log that its listener dropped', () => a.warnings.some(message => message.includes('shared change listener dropped')));
		await waitFor('host a to listen again', () => a.shared.changes.isListening);
		const again = (await listeningSessions()).filter(session => !session.name.endsWith('sender'));
		expect(again).toEqual([{pid: expect.any(Number), name: 'ccfleet listener a'}]);
		expect(again[0]!.pid).not.toBe(killed!.pid);
		// Made after the reconnect (and its reads again), so only the notifications can bring them.
		await changeAllThree('after');
	});
});

describe('ChangeFeed', () => {
	it('gives each notification to the subscribers of its channel, and none to one that unsubscribed', async () => {
		const feed = new ChangeFeed(url, {applicationName: 'feed'});
		cleanups.push(() => feed.stop());
		const first: unknown[] = [];
		const second: unknown[] = [];
		const other: unknown[] = [];
		const one = await feed.subscribe('chan_a', {onChange: change => first.push(change)});
		await feed.subscribe('chan_a', {onChange: change => second.push(change)});
		await feed.subscribe('chan_b', {onChange: change => other.push(change)});
		await admin.query(`SELECT pg_notify('chan_a', '{"n":1}'), pg_notify('chan_b', '{"n":2}')`);
		await waitFor('both subscribers of chan_a and the one of chan_b to hear', () => first.length === 1 && second.length === 1 && other.length === 1);
		expect([first, second, other]).toEqual([[{n: 1}], [{n: 1}], [{n: 2}]]);
		await one.unsubscribe();
		await admin.query(`SELECT pg_notify('chan_a', '{"n":3}')`);
		await waitFor('the remaining subscriber to hear', () => second.length === 2);
		expect(first).toEqual([{n: 1}]);
		expect(await listeningSessions()).toEqual([{pid: expect.any(Number), name: 'feed'}]);
		await expect(feed.subscribe('Bad-Name', {onChange: () => {}})).rejects.toThrow('channel must be a lower-case SQL identifier');
	});
});
