import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {insertTask} from '../../source/adapters/postgres/postgres-task-store.js';
import {minimalTask} from '../contracts/task-store.contract.js';
import {fleetHosts} from '../helpers/fleet-hosts.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// A daemon of a shared fleet keeps old finished tasks out of memory (the mirror's window); a task a client names is read
// back before the tool uses it, so task_status and task_logs answer for a task finished long ago.
const postgres = usePostgres();
const cluster = fleetHosts('mirror-window-test');
const {startHost, client, database} = cluster;
const DAY = 86_400_000;

afterEach(() => cluster.cleanup());

describe('a daemon whose mirror keeps old tasks out of memory', () => {
	it('answers task_status and task_logs of a task finished ten days ago, archived on this host', async () => {
		const url = await postgres().createDatabase();
		const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-window-home-'));
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-window-project-'));
		cluster.onCleanup(() => {
			rmSync(home, {recursive: true, force: true});
			rmSync(project, {recursive: true, force: true});
		});
		const first = await startHost('h1', url, {CCFLEET_HOME: home});
		const before = await client(first);
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) ids.push((await before.call('delegate_task', {prompt: `old task ${i}`, cwd: project})).task.id);
		const pool = await database(url);
		const done = async () => (await pool.query("SELECT id FROM tasks WHERE status = 'completed'")).rowCount === 3;
		await waitFor('the three tasks to complete', done, 60_000, 100);
		const exited = new Promise(resolve => first.child.once('exit', resolve));
		first.child.kill('SIGTERM');
		await exited;

		// Ten days ago they ran; since then 2,000 other tasks finished (the newest 2,000 stay in memory beyond the window).
		await pool.query('UPDATE tasks SET created_at = created_at - $1, updated_at = updated_at - $1, started_at = started_at - $1, ended_at = ended_at - $1', [10 * DAY]);
		const filler = await pool.connect();
		try {
			await filler.query('BEGIN');
			const at = Date.now() - 5 * DAY;
			for (let i = 0; i < 2_000; i++)
				await insertTask(filler, minimalTask(`filler-${i}`, {status: 'completed', cwd: project, createdAt: at, updatedAt: at, endedAt: at}));
			await filler.query('COMMIT');
		} finally {
			filler.release();
		}

		const again = await startHost('h1', url, {CCFLEET_HOME: home});
		expect(again.log()).toMatch(/shared tasks loaded.*"archived":3\b/);
		const after = await client(again);
		const status = await after.call('task_status', {id: ids[0]});
		expect(status.task).toMatchObject({id: ids[0], status: 'completed'});
		const logs = await after.call('task_logs', {id: ids[1]});
		expect(logs.bytes).toBeGreaterThan(0);
		// The others are counted, in memory or not.
		const fleet = await after.call('fleet_status', {});
		expect(JSON.stringify(fleet)).toMatch(/"completed":2003\b/);
	}, 120_000);
});
