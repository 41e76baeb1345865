import type pg from 'pg';
import type {Task} from '../../core/domain/task.js';
import {fromRow, type TaskRow} from '../sqlite/task-row.js';
import {TASK_SELECT} from './postgres-task-store.js';
import {HELD_STATUSES} from './schema.js';

/** How long a claim holds without a heartbeat: a host that stops beating loses its tasks this long after its last beat. */
export const DEFAULT_LEASE_MS = 15_000;

export type ClaimsOptions = {
	/** This host's id: the same every start on one machine, unique in the fleet. */
	hostId: string;
	/** Labels a task's placement can ask for (gpu, eu, big-disk…). */
	labels?: readonly string[];
	/** @default DEFAULT_LEASE_MS */
	leaseMs?: number;
};

/** A task that changed hands without its holder's word: it was `previousStatus` on `fromHost`, and is free again. */
export type Takeover = {taskId: string; fromHost: string; previousStatus: string; status: string};

/** One line of a task's claim history. */
export type ClaimEvent = {hostId: string; event: 'claimed' | 'released' | 'lease-expired'; at: number; detail?: string};

/** The latest host a task was taken from when its lease ran out, and when (epoch ms on the database's clock). */
export type TakenFrom = {fromHost: string; at: number};

export type HostRecord = {id: string; labels: string[]; heartbeatAt: number; stoppedAt?: number};

const HELD = HELD_STATUSES.map(status => `'${status}'`).join(', ');
/** epoch ms on the database's clock, the same shape as the core's times. */
const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::double precision';

/** A dependency `d` of task `t` that holds it back: not completed, and not ended in a way `t` runs after anyway. */
const UNMET = `d.status <> 'completed' AND NOT (coalesce(t.on_dependency_failure, 'fail') = 'run' AND d.status IN ('failed', 'cancelled', 'skipped'))`;
/** A dependency that dooms `t`: ended without completing, and `t` does not run anyway; the core's gate fails or skips `t`. */
const DOOMING = `d.status IN ('failed', 'cancelled', 'skipped') AND coalesce(t.on_dependency_failure, 'fail') <> 'run'`;

/**
 * Claims, in running order (priority, then age), up to $3 queued tasks nobody holds, placed here or anywhere, whose
 * dependencies (dependsOn and continueFrom) satisfy `dependencies`: `NOT EXISTS` a dependency that is unmet (runnable
 * tasks), or `EXISTS` one that dooms it. A dependency that is not stored counts as met, as the core's DependencyGate
 * counts it. Each claim is logged, and each comes back with the latest host it was taken from when that host's lease
 * ran out (the log's rows as they were before this claim), so the new holder can say so and retell the lost attempt.
 */
function claimSql(dependencies: string): string {
	return `
	WITH picked AS (
		SELECT t.seq FROM tasks t
		WHERE t.status = 'queued' AND t.host_id IS NULL
			AND (t.pin_host IS NULL OR t.pin_host = $1)
			AND (t.pin_label IS NULL OR t.pin_label = ANY($2::text[]))
			AND ${dependencies} (
				SELECT 1
				FROM (SELECT jsonb_array_elements_text(coalesce(t.depends_on, '[]'::jsonb)) UNION SELECT t.continue_from) dependency (id)
				JOIN tasks d ON d.id = dependency.id
				WHERE ${dependencies === 'EXISTS' ? DOOMING : UNMET}
			)
		ORDER BY t.priority, t.created_at, t.seq
		LIMIT $3
		FOR UPDATE OF t SKIP LOCKED
	), claimed AS (
		UPDATE tasks SET host_id = $1, lease_until = now() + $4 * interval '1 millisecond', claimed_at = now()
		FROM picked WHERE tasks.seq = picked.seq
		RETURNING tasks.seq AS seq, ${TASK_SELECT}
	), logged AS (
		INSERT INTO task_claims (task_id, host_id, event) SELECT id, $1, 'claimed' FROM claimed
	)
	SELECT c.*, e.host_id AS taken_from, (extract(epoch from e.at) * 1000)::double precision AS taken_at
	FROM claimed c
	LEFT JOIN LATERAL (SELECT host_id, at FROM task_claims WHERE task_id = c.id AND event = 'lease-expired' ORDER BY id DESC LIMIT 1) e ON true
	ORDER BY c.priority, c.created_at, c.seq`;
}

const CLAIM_SQL = claimSql('NOT EXISTS');
const CLAIM_DOOMED_SQL = claimSql('EXISTS');

/**
 * Frees the tasks `chosen` selects (rows locked, with their holder and status): nobody holds them, and one that was
 * running or waiting on its holder is queued again to start afresh elsewhere (its worker and its conversation are on
 * the old host, so it cannot be resumed; the new holder starts it from its checkpoint's retelling). Its history says why.
 */
function freeSql(chosen: string, event: 'released' | 'lease-expired'): string {
	return `
		WITH chosen AS (${chosen}), freed AS (
			UPDATE tasks t SET host_id = NULL, lease_until = NULL, claimed_at = NULL,
				status = 'queued', worker_pid = NULL, worker_start_time = NULL,
				resume_pending = CASE WHEN c.previous_status = 'queued' THEN t.resume_pending ELSE 0 END,
				updated_at = CASE WHEN c.previous_status = 'queued' THEN t.updated_at ELSE ${DB_NOW_MS} END
			FROM chosen c WHERE t.seq = c.seq
			RETURNING t.id, c.previous_host, c.previous_status, t.status
		), logged AS (
			INSERT INTO task_claims (task_id, host_id, event, detail)
			SELECT id, previous_host, '${event}', 'was ' || previous_status || ' on ' || previous_host || '; queued again for any host' FROM freed
		)
		SELECT id, previous_host, previous_status, status FROM freed ORDER BY id`;
}

const RECLAIM_SQL = freeSql(
	`SELECT seq, host_id AS previous_host, status AS previous_status FROM tasks
	 WHERE status IN (${HELD}) AND host_id IS NOT NULL AND lease_until < now() FOR UPDATE SKIP LOCKED`,
	'lease-expired',
);
const RELEASE_SQL = freeSql(
	`SELECT seq, host_id AS previous_host, status AS previous_status FROM tasks
	 WHERE host_id = $1 AND status IN (${HELD}) AND ($2::text[] IS NULL OR id = ANY($2::text[])) FOR UPDATE`,
	'released',
);

/**
 * One host's claims on the shared tasks table: it takes runnable tasks atomically (FOR UPDATE SKIP LOCKED, so hosts
 * claiming at once never wait for each other nor take the same task), holds them by a lease its heartbeat renews, and
 * gives them back. Any host can take over the tasks of a host whose lease ran out.
 */
export class TaskClaims {
	readonly hostId: string;
	readonly labels: readonly string[];
	readonly leaseMs: number;
	readonly #pool: pg.Pool;
	/** What the claims read of each claimed task's last takeover, until the core asks (once, as the task starts). */
	readonly #takenFrom = new Map<string, TakenFrom>();

	constructor(pool: pg.Pool, options: ClaimsOptions) {
		if (!options.hostId.trim()) throw new TypeError('hostId must be a non-empty string naming this host (the same at every start).');
		const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
		if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new TypeError(`leaseMs must be a number of milliseconds > 0, got ${leaseMs}.`);
		this.#pool = pool;
		this.hostId = options.hostId;
		this.labels = [...(options.labels ?? [])];
		this.leaseMs = leaseMs;
	}

	/** Claims up to `max` runnable tasks for this host, in running order; none when nothing is runnable or others hold it all. */
	async claim(max: number): Promise<Task[]> {
		if (!Number.isInteger(max) || max < 0) throw new TypeError(`claim() max must be a whole number ≥ 0, got ${max}.`);
		if (max === 0) return [];
		const {rows} = await this.#pool.query<ClaimedRow>(CLAIM_SQL, [this.hostId, this.labels, max, this.leaseMs]);
		return rows.map(row => this.#claimed(row));
	}

	/**
	 * For a task this host claimed: the host it was taken from when that host's lease ran out (its latest such change of
	 * hands), or undefined when it never was. Told once: the entry is dropped when read.
	 */
	takenOver(taskId: string): TakenFrom | undefined {
		const from = this.#takenFrom.get(taskId);
		this.#takenFrom.delete(taskId);
		return from;
	}

	#claimed(row: ClaimedRow): Task {
		const task = fromRow(row);
		// A task that never ran has no attempt to go on from, and the core does not ask about it.
		if (row.taken_from !== null && row.taken_at !== null && task.attempts > 0) this.#takenFrom.set(row.id, {fromHost: row.taken_from, at: row.taken_at});
		else this.#takenFrom.delete(row.id);
		return task;
	}

	/**
	 * Claims up to `max` queued tasks that will never run: a dependency ended without completing and they do not run
	 * anyway. Some host must end them (failed or skipped, as onDependencyFailure says), and the core's DependencyGate
	 * does that once this host holds them; no worker starts, so admission need not be asked.
	 */
	async claimDoomed(max: number): Promise<Task[]> {
		if (!Number.isInteger(max) || max < 0) throw new TypeError(`claimDoomed() max must be a whole number ≥ 0, got ${max}.`);
		if (max === 0) return [];
		const {rows} = await this.#pool.query<ClaimedRow>(CLAIM_DOOMED_SQL, [this.hostId, this.labels, max, this.leaseMs]);
		return rows.map(row => fromRow(row));
	}

	/**
	 * Says this host lives (its row in hosts) and renews the lease of every task it holds. Returns the ids it still
	 * holds: a task missing from them was taken over (this host's beats stopped for longer than the lease), so its
	 * worker here must stop.
	 */
	async heartbeat(): Promise<string[]> {
		const client = await this.#pool.connect();
		try {
			await client.query('BEGIN');
			await client.query(
				`INSERT INTO hosts (id, labels) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET labels = EXCLUDED.labels, heartbeat_at = now(), stopped_at = NULL`,
				[this.hostId, this.labels],
			);
			const {rows} = await client.query<{id: string}>(
				`UPDATE tasks SET lease_until = now() + $2 * interval '1 millisecond' WHERE host_id = $1 AND status IN (${HELD}) RETURNING id`,
				[this.hostId, this.leaseMs],
			);
			await client.query('COMMIT');
			return rows.map(row => row.id).sort();
		} catch (error) {
			await client.query('ROLLBACK').catch(() => {});
			throw error;
		} finally {
			client.release();
		}
	}

	/** Frees the tasks of every host whose lease ran out, for any host to claim; returns what changed hands. */
	async reclaimExpired(): Promise<Takeover[]> {
		const {rows} = await this.#pool.query<FreedRow>(RECLAIM_SQL);
		return rows.map(row => takeoverOf(row));
	}

	/** Gives back this host's tasks (all, or those named), queued again for any host; returns what it gave back. */
	async release(taskIds?: readonly string[]): Promise<Takeover[]> {
		const {rows} = await this.#pool.query<FreedRow>(RELEASE_SQL, [this.hostId, taskIds ?? null]);
		return rows.map(row => takeoverOf(row));
	}

	/** Marks this host stopped (after it released its tasks), so views show it gone rather than late. */
	async stop(): Promise<void> {
		await this.#pool.query('UPDATE hosts SET stopped_at = now() WHERE id = $1', [this.hostId]);
	}

	/** Ids of the tasks this host holds now. */
	async held(): Promise<string[]> {
		const {rows} = await this.#pool.query<{id: string}>(`SELECT id FROM tasks WHERE host_id = $1 AND status IN (${HELD}) ORDER BY id`, [this.hostId]);
		return rows.map(row => row.id);
	}

	/** Who held a task when, oldest first. */
	async history(taskId: string): Promise<ClaimEvent[]> {
		const {rows} = await this.#pool.query<{host_id: string; event: ClaimEvent['event']; at: number; detail: string | null}>(
			'SELECT host_id, event, (extract(epoch from at) * 1000)::double precision AS at, detail FROM task_claims WHERE task_id = $1 ORDER BY id',
			[taskId],
		);
		return rows.map(row => ({hostId: row.host_id, event: row.event, at: row.at, ...(row.detail === null ? {} : {detail: row.detail})}));
	}

	/** Every host that ever joined, with its last heartbeat (epoch ms on the database's clock). */
	async hosts(): Promise<HostRecord[]> {
		const {rows} = await this.#pool.query<{id: string; labels: string[]; heartbeat_at: number; stopped_at: number | null}>(
			`SELECT id, labels, (extract(epoch from heartbeat_at) * 1000)::double precision AS heartbeat_at,
			 (extract(epoch from stopped_at) * 1000)::double precision AS stopped_at FROM hosts ORDER BY id`,
		);
		return rows.map(row => ({id: row.id, labels: row.labels, heartbeatAt: row.heartbeat_at, ...(row.stopped_at === null ? {} : {stoppedAt: row.stopped_at})}));
	}
}

type ClaimedRow = TaskRow & {taken_from: string | null; taken_at: number | null};

type FreedRow = {id: string; previous_host: string; previous_status: string; status: string};

function takeoverOf(row: FreedRow): Takeover {
	return {taskId: row.id, fromHost: row.previous_host, previousStatus: row.previous_status, status: row.status};
}
