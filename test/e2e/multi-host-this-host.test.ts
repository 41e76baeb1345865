import {execFile} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {FleetClient} from '../../source/cli/client.js';
import {binPath} from '../helpers/ccfleet-process.js';
import {fleetHosts, type Host} from '../helpers/fleet-hosts.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// Two real daemons, alpha and beta, share one fleet on one PostgreSQL. What only a host has (its workers, their
// terminals and logs, its stop) is that host's own in every command run on alpha: beta's tasks are named as beta's and
// never stopped or cancelled from alpha.
const postgres = usePostgres();
const cluster = fleetHosts('multi-host-this-host-test');
const {startHost, client} = cluster;

afterEach(() => cluster.cleanup());

/** The ccfleet CLI as a user on `host` runs it; never throws, whatever the exit code. */
function cli(host: Host, args: string[]): Promise<{stdout: string; stderr: string; code: number}> {
	return new Promise(resolve => {
		execFile(process.execPath, [binPath, ...args], {env: {...host.env, COLUMNS: '100'}, timeout: 30_000}, (error, stdout, stderr) => {
			resolve({stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0});
		});
	});
}

async function submit(fleet: FleetClient, cwd: string, host: string, prompt: string): Promise<string> {
	return (await fleet.call('delegate_task', {cwd, host, prompt})).task.id;
}

const statusOf = async (fleet: FleetClient, id: string) => (await fleet.call('task_status', {id})).task;

describe("one host's own on a shared fleet", () => {
	it("from alpha: beta's worker, log and question are said to be beta's; stop --cancel-running cancels only alpha's task", async () => {
		const url = await postgres().createDatabase();
		const project = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-this-host-'));
		cluster.onCleanup(() => rmSync(project, {recursive: true, force: true}));
		const [alpha, beta] = await Promise.all([startHost('alpha', url), startHost('beta', url)]);
		const [onAlpha, onBeta] = await Promise.all([client(alpha), client(beta)]);

		const slowHere = await submit(onAlpha, project, 'alpha', 'slow on alpha [[fake:sleep=60]]');
		const slowThere = await submit(onAlpha, project, 'beta', 'slow on beta [[fake:sleep=60]]');
		const doneThere = await submit(onAlpha, project, 'beta', 'quick on beta');
		const asking = await submit(onAlpha, project, 'beta', 'asks on beta [[fake:permission]]');
		await waitFor(
			'the tasks to run on their hosts, the quick one to complete',
			async () => {
				const [here, there, done] = await Promise.all([slowHere, slowThere, doneThere].map(id => statusOf(onAlpha, id)));
				return here?.status === 'running' && here.host === 'alpha' && there?.status === 'running' && there.host === 'beta' && done?.status === 'completed';
			},
			30_000,
			100,
		);

		// fleet_status names the host that answers, and its questions are the fleet's (the inbox's), beta's included.
		const status = await waitFor(
			"beta's question in alpha's fleet_status",
			async () => {
				const now = await onAlpha.call('fleet_status', {});
				return now.needsInput.some(entry => entry.id === asking) ? now : undefined;
			},
			30_000,
			100,
		);
		expect(status.host).toBe('alpha');
		expect(status.message).toMatch(/^\d+\/\d+ workers running on this host \(alpha\), /);
		expect(status.message).toContain(`Waiting for an answer: ${asking} (`);
		expect((await onBeta.call('fleet_status', {})).host).toBe('beta');

		const attach = await cli(alpha, ['attach', slowThere]);
		expect(attach.code).not.toBe(0);
		expect(attach.stderr).toContain(`Task ${slowThere} runs on host beta: attach there (ssh beta, then ccfleet attach ${slowThere}).`);
		expect(attach.stderr).not.toContain('attached to');

		const logs = await cli(alpha, ['logs', doneThere]);
		expect(logs.code).not.toBe(0);
		expect(logs.stderr).toContain(`Task ${doneThere} ran on host beta; its log is there (ccfleet logs ${doneThere} on beta).`);
		expect((await cli(beta, ['logs', doneThere])).stdout).toContain(`fake result for ${doneThere}`);
		expect((await onAlpha.call('task_logs', {id: slowThere})).message).toBe(`Task ${slowThere} runs on host beta; its log is there (ccfleet logs ${slowThere} on beta).`);

		const pinned = await cli(alpha, ['delegate', '--no-stdin', '--host', 'gamma', 'only on gamma']);
		expect(pinned.code, pinned.stderr).toBe(0);
		expect(pinned.stderr).toContain('no live host is gamma (live: alpha, beta); the task waits for one.');

		// alpha's journal names the host of each task it hears of.
		expect(alpha.log()).toMatch(new RegExp(`task running \\{"task":"${slowThere}","host":"beta"`));

		const stopped = await cli(alpha, ['stop', '--cancel-running']);
		expect(stopped.code, stopped.stderr).toBe(0);
		expect(stopped.stdout).toContain(`1 running task cancelled: ${slowHere} (slow on alpha`);
		expect(stopped.stdout).not.toContain(slowThere);
		expect(alpha.log()).toMatch(/stopping: this host's running tasks will resume at its next start.*"running":0/);
		expect(await statusOf(onBeta, slowHere)).toMatchObject({status: 'cancelled'});
		expect(await statusOf(onBeta, slowThere)).toMatchObject({status: 'running', host: 'beta'});
	}, 90_000);
});
