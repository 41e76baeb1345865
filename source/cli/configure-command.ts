import type {Config} from '../config.js';
import {ConfigError, parsePercent, parseSize, parseSizeOrZero, parseUsd} from '../config.js';
import {CliError, stdout, withFleet, type Output} from './client.js';

export type ConfigureFlags = {
	maxWorkers?: string;
	cpuThreshold?: string;
	memoryReserve?: string;
	workerMaxRss?: string;
	dailyBudget?: string;
	json: boolean;
};

/** The change configure_fleet takes, from the flags given, each read with its unit; `none` removes a limit. */
function changeOf(flags: ConfigureFlags): Record<string, number | null> {
	const change: Record<string, number | null> = {};
	const none = (text: string) => /^(none|off|no)$/i.test(text.trim());
	try {
		if (flags.maxWorkers !== undefined) {
			const value = Number(flags.maxWorkers);
			if (!none(flags.maxWorkers) && !(Number.isInteger(value) && value >= 1)) {
				throw new ConfigError(`--max-workers is "${flags.maxWorkers}"; give a whole number of at least 1, or none.`);
			}
			change['maxWorkers'] = none(flags.maxWorkers) ? null : value;
		}
		if (flags.cpuThreshold !== undefined) change['cpuThresholdPercent'] = parsePercent(flags.cpuThreshold, '--cpu-threshold');
		if (flags.memoryReserve !== undefined) change['memoryReserveBytes'] = parseSizeOrZero(flags.memoryReserve, '--memory-reserve');
		if (flags.workerMaxRss !== undefined) change['workerMaxRssBytes'] = parseSize(flags.workerMaxRss, '--worker-max-rss');
		if (flags.dailyBudget !== undefined) change['dailyBudgetUsd'] = none(flags.dailyBudget) ? null : parseUsd(flags.dailyBudget, '--daily-budget');
	} catch (error) {
		if (error instanceof ConfigError) throw new CliError(error.message);
		throw error;
	}
	return change;
}

/** `ccfleet configure [--max-workers …] [--daily-budget …] …`: changes the running core's limits, and prints those in force. */
export async function configure(config: Config, flags: ConfigureFlags, io: Output = stdout): Promise<number> {
	const change = changeOf(flags);
	return withFleet(config, async fleet => {
		const result = await fleet.call('configure_fleet', change);
		io.out(flags.json ? JSON.stringify({settings: result.settings, spentTodayUsd: result.spentTodayUsd}, null, 2) : (result.message ?? ''));
		return 0;
	});
}
