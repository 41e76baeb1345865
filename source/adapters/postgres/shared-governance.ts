import type pg from 'pg';
import type {SharedGovernance} from '../../core/ports/shared-governance.js';
import type {ChangeFeed} from './change-feed.js';
import {FleetState} from './fleet-state.js';
import {FLEET_STATE_CHANNEL} from './schema.js';

/**
 * The fleet-wide usage limit on the shared database (its fleet_state table), on the host's pool and its one listening
 * session: a host reads the limit when another host noted one (a notification), when that session came back after a
 * drop (a notification may have been lost) and once it hears, not on a timer. Nothing to close: the pool and the
 * session are the shared tasks'; the core ends its subscription when it stops.
 */
export function sharedGovernance(pool: pg.Pool, changes: ChangeFeed, hostId: string, onError: (message: string, cause: unknown) => void): SharedGovernance {
	const state = new FleetState(pool, hostId);
	return {
		noteUsageLimit: (until, kind) => state.noteUsageLimit(until, kind),
		usageLimit: () => state.usageLimit(),
		onChange: listener => {
			const subscription = changes.subscribe(FLEET_STATE_CHANNEL, {onChange: listener, onReconnect: listener});
			// Once it hears: whatever was noted before the LISTEN took effect is read now.
			subscription.then(listener, (error: unknown) =>
				onError(
					'could not listen for the usage limit other hosts note; this host learns of one only when its own workers meet it, until it is restarted with the database reachable',
					error,
				),
			);
			return () => void subscription.then(heard => heard.unsubscribe()).catch(() => {});
		},
	};
}
