import type {ChildProcess} from 'node:child_process';
import pg from 'pg';
import {openPool} from '../../source/adapters/postgres/connection.js';
import {afterEach, describe, expect, it} from 'vitest';
import type {Checkpoint} from '../../source/core/domain/task.js';
import type {QuestionView} from '../../source/protocol/tool-results.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {usePostgres} from '../helpers/postgres-server.js';
import {waitFor} from '../helpers/wait-for.js';

// A host that dies mid-task takes the conversation with it (its transcript is on its disk): the host that takes the
// task over starts a fresh conversation told what the lost attempt did, from the progress checkpoint the dead host kept
// in the shared database. Two daemons, each with the real claude on a mock API of its own, on one PostgreSQL.
const postgres = usePostgres();
const cleanups: (() => Promise<void> | void)[] = [];
// A short lease, so the takeover comes seconds after the kill; heartbeats every third of it, progress every third beat.
const LEASE = {CCFLEET_LEASE_MS: '1500'};

afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Host = {id: string; sandbox: Sandbox; daemon: ChildProcess};

async function startHost(id: string, url: string, extra: Record<string, string> = {}): Promise<Host> {
	const sandbox = await createSandbox({
		CCFLEET_DATABASE_URL: url,
		CCFLEET_HOST_ID: id,
		CCFLEET_MAX_WORKERS: '2',
		CCFLEET_MODE: 'headless',
		CCFLEET_STAGGER_MS: '0',
		CCFLEET_MEMORY_RESERVE: '0',
		...LEASE,
		...extra,
	});
	cleanups.push(() => sandbox.cleanup());
	const daemon = await sandbox.startDaemon();
	return {id, sandbox, daemon};
}

async function database(url: string): Promise<pg.Pool> {
	const pool = await openPool(url, {max: 2});
	cleanups.push(() => pool.end());
	return pool;
}

type Row = {status: string; host_id: string | null; attempts: number; checkpoint: string | null};

async function row(pool: pg.Pool, id: string): Promise<Row> {
	const {rows} = await pool.query<Row>('SELECT status, host_id, attempts, checkpoint::text AS checkpoint FROM tasks WHERE id = $1', [id]);
	return rows[0]!;
}

/** Every main-conversation request a host's mock received, as the JSON claude sent. */
function sent(host: Host): string[] {
	return host.sandbox.mock.mainRequests().map(request => JSON.stringify(request.body));
}

/**
 * Host b runs a task whose Bash call stays busy on b (its first output line comes at once), then b is killed -9 with
 * its worker once its progress checkpoint is in the database; host a (started with `aEnv`) is there to take it over.
 */
async function killedWhileRunning(aEnv: (b: Host) => Record<string, string>) {
	const url = await postgres().createDatabase();
	const pool = await database(url);
	const b = await startHost('b', url);
	const command = 'echo phase-one-done; if [ "$CCFLEET_HOST_ID" = b ]; then sleep 300; fi';
	const delegated = await b.sandbox.cli(['delegate', '--allow', 'Bash', `Write the report [[tool:bash:${command}]]`]);
	expect(delegated.exitCode, delegated.stderr).toBe(0);
	const id = delegated.stdout.trim();
	await waitFor('b to run the task', async () => (await row(pool, id)).status === 'running', 60_000, 100);
	// a joins while b works; b's worker has the task, so a waits with nothing to do.
	const a = await startHost('a', url, aEnv(b));
	// b's progress checkpoint reaches the database once claude has called the tool (its output shows the call).
	const progress = await waitFor(
		"b's progress checkpoint with its output in the database",
		async () => {
			const checkpoint = (await row(pool, id)).checkpoint;
			const parsed = checkpoint === null ? undefined : (JSON.parse(checkpoint) as Checkpoint);
			return parsed?.runningOn === 'b' && parsed.outputTail.some(line => line.includes('phase-one-done')) ? parsed : undefined;
		},
		60_000,
		100,
	);
	expect(progress.outputTail.join('\n')).toContain('I will run a command.');
	// Every host's view of the running task shows where its progress checkpoint was taken.
	const seen = JSON.parse((await a.sandbox.cli(['status', id, '--json'])).stdout) as {checkpoint?: {runningOn?: string; outputTail: string[]}};
	expect(seen.checkpoint?.runningOn).toBe('b');
	// b dies with everything it ran: the core and its worker.
	const workers = processesOfTask(id);
	process.kill(b.sandbox.corePid()!, 'SIGKILL');
	if (b.daemon.exitCode === null) b.daemon.kill('SIGKILL');
	for (const pid of workers) process.kill(pid, 'SIGKILL');
	await waitFor('the task to complete on a', async () => (await row(pool, id)).status === 'completed', 60_000, 100);
	expect(await row(pool, id)).toMatchObject({host_id: 'a', attempts: 2});
	// Claimed by b, lost with b's lease, claimed by a: once each, and it ran to its end only on a.
	const {rows: history} = await pool.query<{host_id: string; event: string}>('SELECT host_id, event FROM task_claims WHERE task_id = $1 ORDER BY id', [id]);
	expect(history.map(event => `${event.event}:${event.host_id}`)).toEqual(['claimed:b', 'lease-expired:b', 'claimed:a']);
	return {id, a, b};
}

describe('a task taken over from a killed host', () => {
	it("restarts from its checkpoint's retelling on the new host: the new conversation is told the lost attempt's output, and the task completes once", async () => {
		const {id, a, b} = await killedWhileRunning(() => ({}));
		// a's worker started a new conversation whose prompt retells b's attempt: its host and its last output.
		const retold = sent(a).filter(body => body.includes('A previous attempt at this task on host b stopped when that host was lost'));
		expect(retold.length).toBeGreaterThan(0);
		expect(retold[0]).toContain('I will run a command.');
		expect(retold[0]).toContain('⏺ Bash(echo phase-one-done');
		expect(retold[0]).toContain('Go on from where it stopped; do not redo finished work.');
		expect(retold[0]).toContain('Write the report [[tool:bash:');
		expect(sent(b).some(body => body.includes('A previous attempt'))).toBe(false);
		// Its log on a says where it came from and how it went on.
		const logs = await a.sandbox.cli(['logs', id]);
		expect(logs.stdout).toMatch(
			/taken over from host b after its lease expired \(.*\); its conversation is not on this host, so it restarted from its checkpoint's retelling\./,
		);
		const status = await a.sandbox.cli(['status', id]);
		expect(status.stdout).toMatch(/attempts\s+2/);
	}, 150_000);

	it('resumes the conversation instead when the new host can read its transcript (a Claude config both hosts share)', async () => {
		const {id, a} = await killedWhileRunning(b => ({CLAUDE_CONFIG_DIR: b.sandbox.claude.env.CLAUDE_CONFIG_DIR!, HOME: b.sandbox.claude.env.HOME!}));
		const bodies = sent(a);
		expect(bodies.some(body => body.includes('A previous attempt'))).toBe(false);
		// The resumed request carries b's conversation (its first answer) and the word that it was taken over.
		const resumed = bodies.filter(body => body.includes('The host that ran this task (b) was lost'));
		expect(resumed.length).toBeGreaterThan(0);
		expect(resumed[0]).toContain('I will run a command.');
		const logs = await a.sandbox.cli(['logs', id]);
		expect(logs.stdout).toMatch(/taken over from host b after its lease expired \(.*\); its conversation is reachable here, so it resumed its conversation\./);
	}, 150_000);

	it("drops a dead host's question from every inbox once its lease ran out, and the host that takes the task over asks again", async () => {
		const url = await postgres().createDatabase();
		const pool = await database(url);
		// Only b and, later, c have the label: after b dies the task waits for a host that fits, with b's question published.
		const b = await startHost('b', url, {CCFLEET_HOST_LABELS: 'gpu'});
		const delegated = await b.sandbox.cli(['delegate', '--label', 'gpu', '--permission-mode', 'default', 'Check the tools [[tool:bash:npm --version]]']);
		expect(delegated.exitCode, delegated.stderr).toBe(0);
		const id = delegated.stdout.trim();
		await waitFor("b's worker to ask", async () => (await row(pool, id)).status === 'needs_input', 60_000, 100);
		const a = await startHost('a', url);
		const inboxOf = async (host: Host) => JSON.parse((await host.sandbox.cli(['inbox', '--json'])).stdout) as QuestionView[];
		await waitFor("b's question in a's inbox", async () => (await inboxOf(a)).some(question => question.taskId === id && question.host === 'b'), 30_000, 100);
		const workers = processesOfTask(id);
		process.kill(b.sandbox.corePid()!, 'SIGKILL');
		if (b.daemon.exitCode === null) b.daemon.kill('SIGKILL');
		for (const pid of workers) process.kill(pid, 'SIGKILL');
		await waitFor("b's lease to run out", async () => (await row(pool, id)).status === 'queued', 30_000, 100);
		// b never withdrew its question: it is still in the database, yet a's inbox no longer lists it.
		const published = async () => (await pool.query<{host_id: string}>('SELECT host_id FROM pending_questions WHERE task_id = $1', [id])).rows.map(one => one.host_id);
		expect(await published()).toEqual(['b']);
		await waitFor("b's question to leave a's inbox", async () => (await inboxOf(a)).length === 0, 15_000, 100);
		const c = await startHost('c', url, {CCFLEET_HOST_LABELS: 'gpu'});
		const asked = await waitFor("c's worker to ask again", async () => (await inboxOf(a)).find(question => question.taskId === id), 60_000, 100);
		expect(asked.host).toBe('c');
		expect(await published()).toEqual(['c']);
		const approved = await a.sandbox.cli(['respond', id, 'approve']);
		expect(approved.exitCode, approved.stderr).toBe(0);
		await waitFor('the task to complete on c', async () => (await row(pool, id)).status === 'completed', 60_000, 100);
		expect((await row(pool, id)).host_id).toBe(c.id);
	}, 150_000);
});
