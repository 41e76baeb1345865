import type {SharedGovernance} from '../../core/ports/shared-governance.js';
import {openPool} from './connection.js';
import {FleetState} from './fleet-state.js';

export type OpenedSharedGovernance = {governance: SharedGovernance; close(): Promise<void>};

/**
 * The fleet-wide usage limit on the shared database (its fleet_state table), through a small pool of its own, so that
 * a read every second never waits behind the task mirror's writes. Open it after openSharedTasks (which migrates);
 * close it after the fleet stopped.
 */
export async function openSharedGovernance(url: string, hostId: string): Promise<OpenedSharedGovernance> {
	const pool = await openPool(url, {applicationName: `ccfleet ${hostId} governance`, max: 2});
	const state = new FleetState(pool, hostId);
	return {
		governance: {noteUsageLimit: (until, kind) => state.noteUsageLimit(until, kind), usageLimit: () => state.usageLimit()},
		close: () => pool.end(),
	};
}
