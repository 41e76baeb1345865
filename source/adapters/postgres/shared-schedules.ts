import type pg from 'pg';
import type {Schedule, ScheduleRun} from '../../core/domain/schedule.js';
import type {Logger} from '../../core/ports/logger.js';
import type {ChangeFeed} from './change-feed.js';
import {MirroredScheduleStore} from './mirrored-schedule-store.js';
import {PostgresScheduleStore} from './postgres-schedule-store.js';
import {PostgresScheduleFiring} from './schedule-firing.js';

export type SharedSchedules = {store: MirroredScheduleStore; firing: PostgresScheduleFiring; close(): Promise<void>};

/**
 * A host's view of the fleet's schedules on the shared database (any host creates, pauses or cancels them) and its part
 * in firing them: only the leader fires, each due time once. Open after openSharedTasks (which migrates, and whose
 * pool and `changes`, the host's one listening session, this uses); `firing.start()` once the scheduler exists; close
 * after the scheduler stopped, before those two are ended.
 */
export async function openSharedSchedules(
	pool: pg.Pool,
	url: string,
	options: {hostId: string; logger: Logger; onRemoteChange(change: {schedule?: Schedule; run?: ScheduleRun}): void; leaderCheckMs?: number; changes: ChangeFeed},
): Promise<SharedSchedules> {
	const {hostId, logger} = options;
	const store = await MirroredScheduleStore.open(pool, options.changes, {
		hostId,
		onRemoteChange: change => options.onRemoteChange(change),
		onError: (message, cause) => logger.warn(message, {error: String(cause)}),
	});
	const firing = new PostgresScheduleFiring(url, new PostgresScheduleStore(pool, hostId), {
		hostId,
		logger,
		flush: () => store.flush(),
		...(options.leaderCheckMs === undefined ? {} : {checkMs: options.leaderCheckMs}),
	});
	return {
		store,
		firing,
		close: async () => {
			await firing.stop();
			store.close();
			const unwritten = await store.closed();
			if (unwritten.length > 0) logger.error('stopped with schedule changes the shared database never took; it keeps their earlier state', {changes: unwritten});
		},
	};
}
