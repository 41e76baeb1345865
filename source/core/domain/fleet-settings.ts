import {z} from 'zod';
import {InvalidInputError} from './errors.js';

const MB = 1024 ** 2;

/**
 * The fleet's knobs that may change while it runs (configure_fleet, `ccfleet configure`), each with the range it
 * accepts. `null` removes an optional limit. The environment gives their values at start.
 */
/** A number in a range, whose every refusal says the range: the same words as the setting's description. */
function ranged(text: string, check: (number: z.ZodNumber, error: {error: string}) => z.ZodNumber): z.ZodNumber {
	const error = {error: text};
	return check(z.number(error), error).describe(text);
}

export const fleetSettingsShape = {
	maxWorkers: ranged('A ceiling on workers at once, a whole number from 1 to 10000; null removes it, and the machine decides.', (n, e) => n.int(e).min(1, e).max(10_000, e))
		.nullable()
		.optional(),
	cpuThresholdPercent: ranged('No new worker starts while CPU load is at or above this percentage: above 0, at most 100.', (n, e) => n.gt(0, e).max(100, e)).optional(),
	memoryReserveBytes: ranged('Memory always left free, in bytes (0 or more): a worker starts only if the free memory beyond it covers one more.', (n, e) =>
		n
			.int(e)
			.min(0, e)
			.max(2 ** 50, e),
	).optional(),
	workerMaxRssBytes: ranged('A worker whose process tree grows past this many bytes (at least 67108864, 64 MB) is recycled.', (n, e) =>
		n
			.int(e)
			.min(64 * MB, e)
			.max(2 ** 50, e),
	).optional(),
	dailyBudgetUsd: ranged('No new task starts once this much (USD, above 0, at most 1000000) was spent since local midnight; null removes the budget.', (n, e) =>
		n.positive(e).max(1_000_000, e),
	)
		.nullable()
		.optional(),
};

export const fleetSettingsChangeSchema = z.strictObject(fleetSettingsShape, {
	error: issue =>
		issue.code === 'unrecognized_keys' ? `Unknown setting ${issue.keys.join(', ')}; the settings are ${Object.keys(fleetSettingsShape).join(', ')}.` : undefined,
});
export type FleetSettingsChange = z.infer<typeof fleetSettingsChangeSchema>;

/** The settings in force. */
export type FleetSettings = {
	maxWorkers?: number;
	cpuThresholdPercent: number;
	memoryReserveBytes: number;
	workerMaxRssBytes: number;
	dailyBudgetUsd?: number;
};

/** Reads a change from untrusted input; throws InvalidInputError naming the setting, the value and the accepted range. */
export function parseFleetSettingsChange(input: unknown): FleetSettingsChange {
	const parsed = fleetSettingsChangeSchema.safeParse(input, {reportInput: true});
	if (parsed.success) return parsed.data;
	const issue = parsed.error.issues[0]!;
	if (issue.code === 'unrecognized_keys') {
		throw new InvalidInputError(`Unknown setting ${issue.keys.join(', ')}; the settings are ${Object.keys(fleetSettingsShape).join(', ')}.`);
	}
	// Each setting's refusals carry its description as their message: what it is, and the range it accepts.
	throw new InvalidInputError(`${String(issue.path[0])} cannot be ${JSON.stringify(issue.input)}: ${issue.message}`);
}

/** Local midnight before `now`: a daily budget counts what was spent since. */
export function startOfDay(now: number): number {
	const day = new Date(now);
	day.setHours(0, 0, 0, 0);
	return day.getTime();
}
