import {z} from 'zod';
import {fleetStatusSchema, scheduleRunViewSchema, scheduleViewSchema, taskViewSchema} from './views.js';

/**
 * The whole fleet as one resource. Subscribing to it (resources/subscribe) makes the core send
 * notifications/resources/updated for it whenever anything in the fleet changes, coalesced, each carrying what
 * changed under FLEET_CHANGES_META_KEY in its `_meta`. A client that ignores `_meta` can read the resource instead.
 */
export const FLEET_URI = 'ccfleet://fleet';
/** The `_meta` key of a fleet notification's change set (MCP's prefixed form, so it cannot clash with the protocol's). */
export const FLEET_CHANGES_META_KEY = 'ccfleet/changes';

/** What fleet_status reports, less the machine's CPU and memory: those are sampled, not announced. */
export const fleetCountersSchema = fleetStatusSchema.omit({system: true});
export type FleetCounters = z.infer<typeof fleetCountersSchema>;

/** A schedule as list_schedules shows it, with its latest run as get_schedule shows it. */
export const scheduleChangeSchema = scheduleViewSchema.extend({lastRun: scheduleRunViewSchema.optional()});
export type ScheduleChange = z.infer<typeof scheduleChangeSchema>;

/**
 * Everything that changed since the previous notification. Tasks and schedules come whole (as task_status and
 * list_schedules show them, prompts cut to 200 characters), so a client needs no call to apply them; output comes as
 * task ids only, because screens are large and a client wants at most the one it shows.
 */
export const fleetChangesSchema = z.object({
	/** Tasks created or changed, including queued tasks whose place in the queue moved. */
	tasks: z.array(taskViewSchema),
	/** Tasks whose output or live screen changed (fetch it with task_logs). */
	output: z.array(z.string()),
	/** Schedules created or changed, or with a run recorded or settled. */
	schedules: z.array(scheduleChangeSchema),
	/** Present when any task or worker changed. */
	fleet: fleetCountersSchema.optional(),
});
export type FleetChanges = z.infer<typeof fleetChangesSchema>;

/** The change set a fleet notification carries, or undefined when it carries none this client understands. */
export function fleetChangesOf(meta: Record<string, unknown> | undefined): FleetChanges | undefined {
	const parsed = fleetChangesSchema.safeParse(meta?.[FLEET_CHANGES_META_KEY]);
	return parsed.success ? parsed.data : undefined;
}
