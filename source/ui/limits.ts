import type {AdmissionView} from '../protocol/views.js';
import {budget} from './format.js';

/** The fleet's limits a person can change from the dashboard, in configure_fleet's terms; null takes a limit away. */
export type FleetLimitsChange = {
	maxWorkers?: number | null;
	cpuThresholdPercent?: number;
	memoryReserveBytes?: number;
	workerMaxRssBytes?: number;
	dailyBudgetUsd?: number | null;
};

export type LimitField = keyof FleetLimitsChange;

/** The form's fields, top to bottom: the budget first, since raising it is what the form is mostly opened for. */
export const LIMIT_FIELDS: readonly LimitField[] = ['dailyBudgetUsd', 'maxWorkers', 'cpuThresholdPercent', 'memoryReserveBytes', 'workerMaxRssBytes'];

/** The limits as typed: one text per field. */
export type LimitTexts = Record<LimitField, string>;

const BYTE_UNITS: Record<string, number> = {'': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4};

/** `2GB`, `512M`, `1.5g`, `1073741824`: a size in bytes (binary units, as `bytes()` shows them); undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
	const match = /^(\d+(?:\.\d+)?)\s*([a-z]*?)(?:ib)?$/i.exec(text.trim());
	const factor = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
	if (!match || factor === undefined) return undefined;
	return Math.round(Number(match[1]) * factor);
}

/** `$10`, `7.50`, `10 USD`: an amount in USD; undefined when unreadable. */
export function parseUsd(text: string): number | undefined {
	const match = /^\$?\s*(\d+(?:\.\d+)?)\s*(?:usd)?$/i.exec(text.trim());
	return match ? Number(match[1]) : undefined;
}

/** `80`, `80%`: a percentage; undefined when unreadable. */
export function parsePercent(text: string): number | undefined {
	const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text.trim());
	return match ? Number(match[1]) : undefined;
}

const SIZE_UNITS = [
	['TB', 1024 ** 4],
	['GB', 1024 ** 3],
	['MB', 1024 ** 2],
	['KB', 1024],
] as const;

/** A size as the form shows it: the largest unit that shows it exactly in two decimals (`2GB`, `2.5GB`, `512MB`). */
export function formatBytes(n: number): string {
	for (const [unit, factor] of SIZE_UNITS) {
		const value = n / factor;
		if (value >= 1 && Math.round(value * 100) === value * 100) return `${value}${unit}`;
	}
	return `${n}B`;
}

/** The limits in force, as the form's texts. */
export function limitTexts(admission: AdmissionView): LimitTexts {
	return {
		dailyBudgetUsd: admission.dailyBudgetUsd === undefined ? '' : String(admission.dailyBudgetUsd),
		maxWorkers: admission.maxWorkers === undefined ? '' : String(admission.maxWorkers),
		cpuThresholdPercent: String(admission.cpuThresholdPercent),
		memoryReserveBytes: formatBytes(admission.memoryReserveBytes),
		workerMaxRssBytes: formatBytes(admission.workerMaxRssBytes),
	};
}

/** What each field takes, for the error when it cannot be read. */
const EXPECTED: Record<LimitField, string> = {
	dailyBudgetUsd: 'an amount in USD, like 20 or $7.50 (empty: no budget)',
	maxWorkers: 'a whole number of workers (empty: no ceiling)',
	cpuThresholdPercent: 'a percentage, like 80',
	memoryReserveBytes: 'a size, like 2GB or 512MB',
	workerMaxRssBytes: 'a size, like 4GB or 512MB',
};

function parseField(field: LimitField, text: string): number | null | undefined {
	const trimmed = text.trim();
	switch (field) {
		case 'dailyBudgetUsd':
			return trimmed === '' ? null : parseUsd(trimmed);
		case 'maxWorkers':
			return trimmed === '' ? null : /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
		case 'cpuThresholdPercent':
			return parsePercent(trimmed);
		case 'memoryReserveBytes':
		case 'workerMaxRssBytes':
			return parseBytes(trimmed);
	}
}

/**
 * The change the typed texts make to the limits they were opened with: only the fields whose text was edited (an
 * untouched field is never sent, so a rounding in how it was shown cannot change it). The first unreadable field is
 * the error.
 */
export function limitsChange(opened: LimitTexts, typed: LimitTexts): {change: FleetLimitsChange} | {error: string; field: LimitField} {
	const change: FleetLimitsChange = {};
	for (const field of LIMIT_FIELDS) {
		if (typed[field].trim() === opened[field].trim()) continue;
		const value = parseField(field, typed[field]);
		if (value === undefined) return {error: `Type ${EXPECTED[field]}.`, field};
		Object.assign(change, {[field]: value});
	}
	return {change};
}

/** `daily budget $25, ceiling none`: a change as the status bar tells it. */
export function describeLimitsChange(change: FleetLimitsChange): string {
	const parts: string[] = [];
	if (change.dailyBudgetUsd !== undefined) parts.push(`daily budget ${change.dailyBudgetUsd === null ? 'none' : budget(change.dailyBudgetUsd)}`);
	if (change.maxWorkers !== undefined) parts.push(`ceiling ${change.maxWorkers ?? 'none'}`);
	if (change.cpuThresholdPercent !== undefined) parts.push(`CPU threshold ${change.cpuThresholdPercent}%`);
	if (change.memoryReserveBytes !== undefined) parts.push(`memory reserve ${formatBytes(change.memoryReserveBytes)}`);
	if (change.workerMaxRssBytes !== undefined) parts.push(`worker max RSS ${formatBytes(change.workerMaxRssBytes)}`);
	return parts.join(', ');
}
