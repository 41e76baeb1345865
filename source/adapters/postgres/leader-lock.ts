import type pg from 'pg';
import {openSession} from './connection.js';
import {LOCK_IDS, LOCK_NAMESPACE} from './migrations.js';

export type LeaderLockOptions = {
	/** Leadership began (true) or ended (false). When it ends, the leader stops whatever only one host may do. */
	onChange(isLeader: boolean): void;
	onError?(error: unknown): void;
	/** How often a follower tries to take the lock, and the leader checks it still holds its session. @default 1000 */
	checkMs?: number;
	/** Which lock: one leader per id. @default LOCK_IDS.schedulerLeader */
	lockId?: number;
	applicationName?: string;
};

const DEFAULT_CHECK_MS = 1_000;
/** Checks a host that lost the lead with its session sits out, so that a follower whose session is sound leads next. */
const HOLD_OFF_CHECKS = 3;

/**
 * One leader among the hosts (the one whose scheduler fires schedules), by a session-level advisory lock
 * (pg_try_advisory_lock): the lock lives exactly as long as the session that took it, so when the leader dies, or
 * its connection does, PostgreSQL frees it and the next follower to try becomes leader. Followers try every `checkMs`;
 * the leader runs a query as often, so it learns that its session is gone (and stops leading) within that time.
 *
 * Leadership alone cannot make a schedule fire exactly once: a leader whose connection broke may not know it yet while
 * another takes over. The firing itself must be a compare-and-set on the schedule's row (see the design note).
 */
export class LeaderLock {
	readonly #url: string;
	readonly #options: LeaderLockOptions;
	readonly #checkMs: number;
	readonly #lockId: number;
	#client: pg.Client | undefined;
	#isLeader = false;
	#timer: NodeJS.Timeout | undefined;
	#isStopped = false;
	#isChecking = false;
	/** After losing the lead with its session, this host lets a healthy follower take the lock first. */
	#holdOffUntil = 0;

	constructor(url: string, options: LeaderLockOptions) {
		this.#url = url;
		this.#options = options;
		this.#checkMs = options.checkMs ?? DEFAULT_CHECK_MS;
		this.#lockId = options.lockId ?? LOCK_IDS.schedulerLeader;
		if (!Number.isFinite(this.#checkMs) || this.#checkMs <= 0) throw new TypeError(`checkMs must be a number of milliseconds > 0, got ${this.#checkMs}.`);
	}

	get isLeader(): boolean {
		return this.#isLeader;
	}

	/** Tries once now (so a lone host leads at once), then keeps trying or checking every `checkMs`. */
	async start(): Promise<void> {
		await this.#check();
		this.#arm();
	}

	/** Gives up leadership (the session ends, which frees the lock) and stops trying. */
	async stop(): Promise<void> {
		this.#isStopped = true;
		clearTimeout(this.#timer);
		const client = this.#client;
		this.#client = undefined;
		this.#setLeader(false);
		await client?.end().catch(() => {});
	}

	#arm(): void {
		if (this.#isStopped) return;
		this.#timer = setTimeout(() => {
			void this.#check().finally(() => this.#arm());
		}, this.#checkMs);
		this.#timer.unref();
	}

	async #check(): Promise<void> {
		if (this.#isChecking || this.#isStopped || Date.now() < this.#holdOffUntil) return;
		this.#isChecking = true;
		try {
			const client = this.#client ?? (await this.#open());
			if (this.#isLeader) await client.query('SELECT 1');
			else {
				const {rows} = await client.query<{locked: boolean}>('SELECT pg_try_advisory_lock($1, $2) AS locked', [LOCK_NAMESPACE, this.#lockId]);
				if (rows[0]?.locked && !this.#isStopped) this.#setLeader(true);
			}
		} catch (error) {
			this.#drop(error);
		} finally {
			this.#isChecking = false;
		}
	}

	async #open(): Promise<pg.Client> {
		const client = await openSession(this.#url, this.#options.applicationName ?? 'ccfleet leader');
		// Stopped while it connected: a session kept now would take the lock for a host that has stopped, and hold it.
		if (this.#isStopped) {
			await client.end().catch(() => {});
			throw new Error('the leader lock stopped while its session was opening');
		}
		client.on('error', error => {
			if (this.#client === client) this.#drop(error);
		});
		client.on('end', () => {
			if (this.#client === client) this.#drop(new Error('the leader session ended'));
		});
		this.#client = client;
		return client;
	}

	/** The session is gone or unusable: so is the lock, if this host held it. */
	#drop(error: unknown): void {
		const client = this.#client;
		this.#client = undefined;
		if (this.#isLeader) this.#holdOffUntil = Date.now() + HOLD_OFF_CHECKS * this.#checkMs;
		this.#setLeader(false);
		if (!this.#isStopped) this.#options.onError?.(error);
		void client?.end().catch(() => {});
	}

	#setLeader(isLeader: boolean): void {
		if (this.#isLeader === isLeader) return;
		this.#isLeader = isLeader;
		this.#options.onChange(isLeader);
	}
}
