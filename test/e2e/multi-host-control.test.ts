import type {ChildProcess} from 'node:child_process';
import pg from 'pg';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectFleet, type FleetClient} from '../../source/cli/client.js';
import {loadConfig} from '../../source/config.js';
import type {QuestionView} from '../../source/protocol/tool-results.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// Two hosts of one fleet on PostgreSQL, each a real daemon with the real claude on a mock API of its own. Every task
// here is pinned to host b and every change is made from host a (its CLI and its MCP socket): b carries it out, as if
// it had been asked on b itself.
const postgres = usePostgres();
const cleanups: (() => Promise<void> | void)[] = [];

type Host = {id: string; sandbox: Sandbox; daemon: ChildProcess; client: FleetClient};

async function startHost(id: string, url: string): Promise<Host> {
	// b runs one worker at a time, so that a second task pinned to it waits in the queue.
	// A task that met a busy API waits to try again, queued and held by its host, for a long while (its last test).
	const sandbox = await createSandbox({
		CCFLEET_DATABASE_URL: url,
		CCFLEET_HOST_ID: id,
		CCFLEET_MAX_WORKERS: '1',
		CCFLEET_MODE: 'headless',
		CCFLEET_STAGGER_MS: '0',
		CCFLEET_MEMORY_RESERVE: '0',
		CCFLEET_RETRY_BASE: '10m',
		CLAUDE_CODE_MAX_RETRIES: '1',
	});
	cleanups.push(() => sandbox.cleanup());
	const daemon = await sandbox.startDaemon();
	const client = await connectFleet(loadConfig(sandbox.env), {startDaemon: false, name: 'multi-host-control-test'});
	cleanups.push(() => client.close());
	return {id, sandbox, daemon, client};
}

type Row = {id: string; status: string; host_id: string | null; priority: string; cancelled_by: string | null};

describe('control of any task from any host', () => {
	let a: Host;
	let b: Host;
	let pool: pg.Pool;

	beforeAll(async () => {
		const url = await postgres().createDatabase();
		[a, b] = await Promise.all([startHost('a', url), startHost('b', url)]);
		pool = await openPool(url, {max: 2});
		cleanups.push(() => pool.end());
	}, 60_000);

	afterAll(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
	});

	const row = async (id: string) => (await pool.query<Row>('SELECT id, status, host_id, priority, cancelled_by FROM tasks WHERE id = $1', [id])).rows[0];
	const delegateOnA = async (args: string[]) => {
		const {stdout, stderr, exitCode} = await a.sandbox.cli(['delegate', '--host', 'b', ...args]);
		expect(exitCode, stderr).toBe(0);
		return stdout.trim().split(/\s+/)[0]!;
	};

	it("from host a: re-prioritises a task queued for host b, and cancels b's running task, whose worker b stops and whose log says by whom", async () => {
		const running = await delegateOnA(['Long [[slow:120000]] [[reply:never]]']);
		await waitFor('b to run the long task', async () => (await row(running))?.status === 'running' && (await row(running))?.host_id === 'b', 60_000, 100);
		const queued = await delegateOnA(['--priority', 'P2', 'Next [[reply:next done]]']);
		expect(await row(queued)).toMatchObject({status: 'queued', priority: 'P2'});

		const moved = await a.client.call('manage_queue', {action: 'reprioritize', id: queued, priority: 'P0'});
		expect(moved.message).toContain(`Task ${queued} is now P0`);
		expect(await row(queued)).toMatchObject({status: 'queued', priority: 'P0'});
		await waitFor("b's view to show the new priority", async () => (await b.client.call('task_status', {id: queued})).task?.priority === 'P0');

		expect(processesOfTask(running).length).toBeGreaterThan(0);
		const cancelled = await a.sandbox.cli(['cancel', running, 'not needed any more']);
		expect(cancelled.exitCode, cancelled.stderr).toBe(0);
		expect(await row(running)).toMatchObject({status: 'cancelled', host_id: 'b', cancelled_by: expect.stringContaining('from host a')});
		await waitFor("b's worker to be gone", () => processesOfTask(running).length === 0, 15_000);
		const log = await b.sandbox.cli(['logs', running]);
		expect(log.stdout).toContain('[ccfleet] cancelled by cli (from host a): not needed any more');
		// b is free again: the task that waited runs there.
		await waitFor('the queued task to complete on b', async () => (await row(queued))?.status === 'completed', 60_000, 100);
		expect((await row(queued))!.host_id).toBe('b');
	}, 150_000);

	it("lists a permission question of b's worker in a's inbox, naming b, and a's answer lets b's worker go on", async () => {
		const asking = await delegateOnA(['--permission-mode', 'default', 'Run it [[tool:bash:npm --version]]']);
		const listed = await waitFor(
			"the question in a's inbox",
			async () => (JSON.parse((await a.sandbox.cli(['inbox', '--json'])).stdout) as QuestionView[]).find(question => question.taskId === asking),
			60_000,
			100,
		);
		expect(listed).toMatchObject({taskId: asking, host: 'b', toolName: 'Bash'});
		expect(listed.question).toContain('npm --version');
		const {stdout: inbox} = await a.sandbox.cli(['inbox']);
		expect(inbox).toContain('on host b');
		// a's view of the task shows what b's worker asks, as b's own view does.
		await waitFor("a's view of the task to show the question", async () =>
			(await a.client.call('task_status', {id: asking})).task?.question?.question.includes('npm --version'),
		);

		const answered = await a.sandbox.cli(['respond', asking, 'approve']);
		expect(answered.exitCode, answered.stderr).toBe(0);
		await waitFor('the task to complete on b', async () => (await row(asking))?.status === 'completed', 60_000, 100);
		expect((await row(asking))!.host_id).toBe('b');
		expect((await b.sandbox.cli(['logs', asking])).stdout).toMatch(/allowed .*npm --version.* by a person/);
		await waitFor('the question to leave both inboxes', async () => {
			const lists = await Promise.all([a, b].map(async host => JSON.parse((await host.sandbox.cli(['inbox', '--json'])).stdout) as QuestionView[]));
			return lists.every(list => list.length === 0);
		});
	}, 120_000);

	it('from host a: re-prioritises and then cancels a task queued and held on b (waiting to try again after a busy API)', async () => {
		const waiting = await delegateOnA(['--priority', 'P2', 'Busy API [[status:429:100]]']);
		await waitFor(
			'b to hold the task, queued to try again',
			async () => {
				const now = await pool.query<Row & {attempts: number}>('SELECT status, host_id, attempts FROM tasks WHERE id = $1', [waiting]);
				return now.rows[0]?.status === 'queued' && now.rows[0].host_id === 'b' && now.rows[0].attempts === 1;
			},
			60_000,
			100,
		);
		// a's mirror hears of it a moment after the database has it (its face refuses a task it sees running).
		await waitFor("a's view of the task to be queued again", async () => (await a.client.call('task_status', {id: waiting})).task?.status === 'queued');
		const moved = await a.client.call('manage_queue', {action: 'reprioritize', id: waiting, priority: 'P0'});
		expect(moved.message).toContain(`Task ${waiting} is now P0`);
		expect(await row(waiting)).toMatchObject({status: 'queued', host_id: 'b', priority: 'P0'});
		const cancelled = await a.client.call('cancel_task', {id: waiting, reason: 'the API stays busy'});
		expect(cancelled.task).toMatchObject({status: 'cancelled'});
		expect(await row(waiting)).toMatchObject({status: 'cancelled', host_id: 'b'});
		const log = (await b.sandbox.cli(['logs', waiting])).stdout;
		expect(log).toContain('[ccfleet] moved to P0 from host a');
		expect(log).toMatch(/\[ccfleet\] cancelled by .*\(from host a\): the API stays busy/);
	}, 120_000);
});
