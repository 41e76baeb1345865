import {execFile} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import type {FleetClient} from '../../source/cli/client.js';
import {binPath} from '../helpers/ccfleet-process.js';
import {fleetHosts} from '../helpers/fleet-hosts.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// Three daemons share one fleet on one PostgreSQL; only host b has the label big-ram. A task pinned to a label runs only
// on a host with it, one pinned to a host only there, whichever host it was submitted on; every view names its host.
const postgres = usePostgres();
const cluster = fleetHosts('multi-host-placement-test');
const {startHost, client, database} = cluster;

afterEach(() => cluster.cleanup());

type Row = {id: string; status: string; host_id: string | null; pin_host: string | null; pin_label: string | null};

async function rows(pool: pg.Pool): Promise<Row[]> {
	return (await pool.query<Row>('SELECT id, status, host_id, pin_host, pin_label FROM tasks')).rows;
}

describe('placement on several hosts', () => {
	it('runs tasks pinned to a label only on the host with it, one pinned to a host only there; views and ccfleet status name the host', async () => {
		const url = await postgres().createDatabase();
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-placement-project-'));
		cluster.onCleanup(() => rmSync(project, {recursive: true, force: true}));
		const hosts = await Promise.all([startHost('a', url), startHost('b', url, {CCFLEET_HOST_LABELS: 'big-ram,ssd'}), startHost('c', url)]);
		const [onA, , onC] = await Promise.all(hosts.map(host => client(host)));
		const pool = await database(url);

		// Submitted on a and c, which would run them themselves first: the pins must send them to b and to c.
		const submit = (fleet: FleetClient, spec: object) => fleet.call('delegate_task', {cwd: project, ...spec}).then(result => result.task.id);
		const bigRam = await Promise.all(Array.from({length: 6}, (_, i) => submit(i % 2 ? onA! : onC!, {prompt: `big ${i}`, label: 'big-ram'})));
		const onHostC = await submit(onA!, {prompt: 'only on c', host: 'c'});
		const free = await Promise.all(Array.from({length: 6}, (_, i) => submit(onA!, {prompt: `anywhere ${i}`})));
		const all = [...bigRam, onHostC, ...free];
		await waitFor('every task to complete', async () => (await rows(pool)).filter(row => row.status === 'completed').length === all.length, 30_000, 100);

		const byId = new Map((await rows(pool)).map(row => [row.id, row]));
		for (const id of bigRam) expect(byId.get(id)).toMatchObject({status: 'completed', host_id: 'b', pin_label: 'big-ram', pin_host: null});
		expect(byId.get(onHostC)).toMatchObject({status: 'completed', host_id: 'c', pin_host: 'c', pin_label: null});

		// Every host's view of every task names the host that ran it, as the database does.
		await waitFor('every view to name its host', async () => {
			const views = await Promise.all(all.map(id => onA!.call('task_status', {id})));
			return views.every(view => view.task?.host !== undefined && view.task.host === byId.get(view.task.id)?.host_id);
		});
		// A task pinned to a label no host has waits, and its view says for what.
		const gpu = await submit(onC!, {prompt: 'needs a gpu', label: 'gpu'});
		await waitFor('the gpu task to say what it waits for', async () => (await onA!.call('task_status', {id: gpu})).task?.waitingFor === 'a host with label gpu');
		expect((await rows(pool)).find(row => row.id === gpu)).toMatchObject({status: 'queued', host_id: null});
		const pinned = await onA!.call('task_status', {id: bigRam[0]!});
		expect(pinned.task).toMatchObject({host: 'b', pin: {label: 'big-ram'}});

		// fleet_status lists the three hosts with their labels.
		const fleet = await onC!.call('fleet_status', {});
		expect(fleet.hosts?.map(host => [host.id, host.labels])).toEqual([
			['a', []],
			['b', ['big-ram', 'ssd']],
			['c', []],
		]);

		// ccfleet status on host a: a HOST column, and b's and c's tasks under their hosts.
		const {stdout} = await promisify(execFile)(process.execPath, [binPath, 'status', '--all'], {env: {...hosts[0].env, COLUMNS: '100'}});
		const lines = stdout.split('\n');
		expect(lines[0]).toMatch(/^ID\s+STATUS\s+PRI\s+HOST\s+AGE\s+COST\s+PROMPT/);
		expect(lines.find(line => line.startsWith(onHostC))).toMatch(/\scompleted\s+P1\s+c\s/);
		for (const id of bigRam) expect(lines.find(line => line.startsWith(id))).toMatch(/\scompleted\s+P1\s+b\s/);
		expect(stdout).toMatch(/^hosts: a \d+ running · b \[big-ram,ssd\] \d+ running · c \d+ running$/m);
		const details = await promisify(execFile)(process.execPath, [binPath, 'status', onHostC], {env: hosts[0].env});
		expect(details.stdout).toMatch(/^host\s+c$/m);
		expect(details.stdout).toMatch(/^pinned to\s+host c$/m);
	}, 90_000);
});
