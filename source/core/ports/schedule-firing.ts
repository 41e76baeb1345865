/** What claiming one due time of a schedule came to: this host fires it, or another host claimed it first (epoch ms). */
export type FiringClaim = {won: true} | {won: false; by: string; at: number};

/**
 * Several hosts on one shared store: only one of them (the leader) fires schedules, and each due time fires once even
 * while the lead changes hands (a leader whose connection died may not know it yet while the next one leads). Alone,
 * there is no ScheduleFiring and the scheduler fires everything itself. See docs/research/multi-host-store.md §4.5.
 */
export type ScheduleFiring = {
	readonly hostId: string;
	/** Whether this host's scheduler fires schedules now. */
	isLeader(): boolean;
	/** Leadership began (true) or ended (false). Returns the unsubscribe. */
	onLeaderChange(listener: (isLeader: boolean) => void): () => void;
	/** Claims a schedule's due time for this host before it fires it: won by exactly one host of the fleet. */
	claim(scheduleId: string, dueAt: number): Promise<FiringClaim>;
};
