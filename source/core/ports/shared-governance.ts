/** The account's usage limit as every host of a shared fleet knows it: nothing starts anywhere until `until` (epoch ms). */
export type SharedUsageLimit = {until: number; kind?: string; notedBy?: string};

/**
 * Governance every host of a shared fleet must agree on (docs/research/multi-host-store.md §4.6): one account, so a
 * usage limit one host meets holds every host. CPU and memory stay each machine's own; the daily budget needs no port,
 * the shared store already holds every host's tasks. Without it (one host) the limit is this host's alone.
 */
export type SharedGovernance = {
	/** A worker here met the limit: every host holds its starts until `until`. The later reset wins. Returns the limit in force. */
	noteUsageLimit(until: number, kind?: string): Promise<SharedUsageLimit>;
	/** The limit last noted by any host (it may have reset already). */
	usageLimit(): Promise<SharedUsageLimit | undefined>;
	/**
	 * Calls `listener` whenever the limit may have changed: once it listens, when any host notes a limit, and after a
	 * lost connection came back (what was noted meanwhile went unheard). Returns what stops it.
	 */
	onChange(listener: () => void): () => void;
};
