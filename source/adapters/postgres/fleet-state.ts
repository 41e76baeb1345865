import type pg from 'pg';

/** The account's usage limit as the whole fleet knows it: nothing starts anywhere until `until` (epoch ms). */
export type SharedUsageLimit = {until: number; kind?: string; notedBy?: string};

const USAGE_LIMIT_KEY = 'usage-limit';

/**
 * Governance every host must agree on, in the shared database: the account's usage limit (one account, so a limit
 * one host meets holds every host) and the day's spending (the sum over every host's tasks). CPU and memory stay per
 * host; they are each machine's own.
 */
export class FleetState {
	readonly #pool: pg.Pool;
	readonly #hostId: string;

	constructor(pool: pg.Pool, hostId: string) {
		this.#pool = pool;
		this.#hostId = hostId;
	}

	/**
	 * A worker here met the usage limit: every host holds its starts until `until`. The later reset wins, in one
	 * statement, so two hosts noting limits at once cannot shorten each other's. Returns the limit in force.
	 */
	async noteUsageLimit(until: number, kind?: string): Promise<SharedUsageLimit> {
		const value = JSON.stringify({until, ...(kind ? {kind} : {})});
		const {rows} = await this.#pool.query<{value: {until: number; kind?: string}; updated_by: string | null}>(
			`INSERT INTO fleet_state (key, value, updated_by) VALUES ($1, $2::jsonb, $3)
			 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
			 WHERE (fleet_state.value->>'until')::double precision < (EXCLUDED.value->>'until')::double precision
			 RETURNING value, updated_by`,
			[USAGE_LIMIT_KEY, value, this.#hostId],
		);
		return rows[0] ? limitOf(rows[0]) : ((await this.usageLimit()) ?? {until});
	}

	/** The usage limit last noted by any host (it may have reset already: compare `until` with now). */
	async usageLimit(): Promise<SharedUsageLimit | undefined> {
		const {rows} = await this.#pool.query<{value: {until: number; kind?: string}; updated_by: string | null}>('SELECT value, updated_by FROM fleet_state WHERE key = $1', [
			USAGE_LIMIT_KEY,
		]);
		return rows[0] && limitOf(rows[0]);
	}

	/** USD spent by every host's tasks that started at or after `since` (epoch ms): what the fleet's daily budget counts. */
	async spentSince(since: number): Promise<number> {
		const {rows} = await this.#pool.query<{total: number | null}>('SELECT sum(cost_usd) AS total FROM tasks WHERE coalesce(started_at, created_at) >= $1', [since]);
		return rows[0]?.total ?? 0;
	}
}

function limitOf(row: {value: {until: number; kind?: string}; updated_by: string | null}): SharedUsageLimit {
	return {until: row.value.until, ...(row.value.kind ? {kind: row.value.kind} : {}), ...(row.updated_by ? {notedBy: row.updated_by} : {})};
}
