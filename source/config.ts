import os from 'node:os';
import path from 'node:path';
import {ASK_TIMEOUT_ANSWERS, type AskOptions, type AskTimeoutAnswer} from './core/domain/ask-options.js';
import {PERMISSION_MODES, WORKER_MODES, type PermissionMode, type WorkerMode} from './core/domain/task.js';
import type {HostIdentity} from './core/fleet/placement.js';
import {ConfigError} from './config-error.js';
import {httpSettingsFromEnv, type HttpSettings} from './http/http-settings.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Everything ccfleet reads from its environment, validated once at start-up. */
export type Config = {
	/** The state directory: database, logs, socket, lock. */
	home: string;
	socketPath: string;
	/** Where a person's terminal attaches to a worker's own screen. */
	attachSocketPath: string;
	databasePath: string;
	logsDirectory: string;
	lockPath: string;
	daemonLogPath: string;
	/** CCFLEET_MAX_WORKERS: a ceiling on workers at once; without it the machine's CPU and memory decide. */
	maxWorkers: number | undefined;
	/** No worker starts while the machine's CPU load is at or above this percentage. */
	cpuThresholdPercent: number;
	/** Memory always left free for the rest of the machine. */
	memoryReserveBytes: number;
	/** A worker whose process tree grows past this is recycled: stopped and resumed from its conversation. */
	workerMaxRssBytes: number;
	/** No new task starts once this much (USD) was spent since local midnight. */
	dailyBudgetUsd: number | undefined;
	staggerMs: number;
	/** First pause before a task that met a passing API error (rate limit, overload) runs again. */
	retryBaseMs: number;
	/** Runs a task gets at most, counting retries after passing errors and restarts after a crash. */
	maxAttempts: number;
	taskTimeoutMs: number;
	maxOutputBytes: number;
	permissionMode: PermissionMode;
	workerMode: WorkerMode;
	trustWorkspace: boolean;
	approveApiKey: boolean;
	logLevel: LogLevel;
	/** The user's permission rules (and rules kept per project): CCFLEET_HOME/policy.json. */
	policyPath: string;
	/** CCFLEET_ASK_NOTIFY_AFTER (0: never), CCFLEET_ASK_TIMEOUT (unset: never) and CCFLEET_ASK_TIMEOUT_ANSWER (deny or wait). */
	ask: AskOptions;
	notify: NotifyOptions;
	/** CCFLEET_HTTP (host:port) and its companions, or `ccfleet serve`: the core also serves HTTP. Off when undefined. */
	http?: HttpSettings;
	/** CCFLEET_DATABASE_URL and its companions: several hosts share one fleet on PostgreSQL. Undefined: this host's SQLite. */
	shared?: SharedSettings;
	/**
	 * This host's id and labels: CCFLEET_HOST_ID (default: the machine's hostname; the same at every start, unique in
	 * the fleet) and CCFLEET_HOST_LABELS (comma list). Checked when the fleet is shared, where the id names the host in
	 * the database; alone they only tell a task pinned elsewhere why it cannot run here.
	 */
	host: HostIdentity;
};

/** CCFLEET_DATABASE_URL (postgres://…) and CCFLEET_LEASE_MS (how long a silent host keeps its tasks). */
export type SharedSettings = {databaseUrl: string; leaseMs: number | undefined};

/**
 * Telling someone that a worker needs input, a task failed or the fleet is held. CCFLEET_NOTIFY_URL: a webhook that
 * gets a POST (ntfy-compatible plain text, or JSON with CCFLEET_NOTIFY_FORMAT=json); CCFLEET_NOTIFY_DESKTOP=0 turns
 * off notify-send; CCFLEET_BELL=0 keeps the dashboard from ringing the terminal bell.
 */
export type NotifyOptions = {url?: string; format: 'text' | 'json'; desktop: boolean; bell: boolean};

export {ConfigError} from './config-error.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000};
const SIZE_UNITS: Record<string, number> = {b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3};

/** `1800000` (milliseconds), `90s`, `30m`, `2h`. */
export function parseDuration(text: string, name: string): number {
	const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(text);
	const value = match ? Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms').toLowerCase()]! : Number.NaN;
	if (!Number.isFinite(value) || value <= 0) {
		throw new ConfigError(`${name} is "${text}"; give a positive duration: milliseconds (1800000) or with a unit (90s, 30m, 2h).`);
	}
	return Math.round(value);
}

/** `10485760` (bytes), `512KB`, `10MB`, `1GB`. */
export function parseSize(text: string, name: string): number {
	const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?b?|[kmg])?\s*$/i.exec(text);
	const unit = (match?.[2] || 'b').toLowerCase();
	const value = match && SIZE_UNITS[unit] ? Number(match[1]) * SIZE_UNITS[unit] : Number.NaN;
	if (!Number.isFinite(value) || value <= 0) {
		throw new ConfigError(`${name} is "${text}"; give a positive size: bytes (10485760) or with a unit (512KB, 10MB).`);
	}
	return Math.round(value);
}

/** An amount in USD above 0: `20`, `7.50`, `$20`. */
export function parseUsd(text: string, name: string): number {
	const value = Number(text.trim().replace(/^\$/, ''));
	if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} is "${text}"; give an amount in USD above 0, e.g. 20 or 7.50.`);
	return value;
}

/** A size that may be 0 (a reserve of nothing). */
export function parseSizeOrZero(text: string, name: string): number {
	return /^\s*0+\s*[kmg]?b?\s*$/i.test(text) ? 0 : parseSize(text, name);
}

function parseWholeNumber(text: string, name: string, min: number): number {
	const value = Number(text);
	if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} is "${text}"; give a whole number of at least ${min}.`);
	return value;
}

function parseBoolean(text: string, name: string): boolean {
	if (/^(1|true|yes|on)$/i.test(text)) return true;
	if (/^(0|false|no|off)$/i.test(text)) return false;
	throw new ConfigError(`${name} is "${text}"; use 1 or 0 (true/false, yes/no).`);
}

function defaultHome(env: NodeJS.ProcessEnv): string {
	const stateHome = env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
	return path.join(stateHome, 'ccfleet');
}

/** A percentage above 0 and at most 100. */
export function parsePercent(text: string, name: string): number {
	const value = Number(text.trim().replace(/%$/, ''));
	if (!Number.isFinite(value) || value <= 0 || value > 100)
		throw new ConfigError(`${name} is "${text}"; give a percentage above 0 and at most 100 (100: never hold work for CPU).`);
	return value;
}

/** The first of several names a setting goes by (ccfleet's own first, then Delegate's), with the name it was found under. */
function firstOf(env: NodeJS.ProcessEnv, names: string[]): {name: string; value: string} | undefined {
	for (const name of names) {
		const value = env[name];
		if (value) return {name, value};
	}
	return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const home = path.resolve(env.CCFLEET_HOME || defaultHome(env));
	const permissionMode = (env.CCFLEET_PERMISSION_MODE || 'acceptEdits') as PermissionMode;
	if (!PERMISSION_MODES.includes(permissionMode)) {
		throw new ConfigError(`CCFLEET_PERMISSION_MODE is "${permissionMode}"; use one of ${PERMISSION_MODES.join(', ')}.`);
	}
	const workerMode = (env.CCFLEET_MODE || 'pty') as WorkerMode;
	if (!WORKER_MODES.includes(workerMode)) throw new ConfigError(`CCFLEET_MODE is "${workerMode}"; use one of ${WORKER_MODES.join(', ')}.`);
	const cpuThreshold = firstOf(env, ['CCFLEET_CPU_THRESHOLD', 'CPU_THRESHOLD']);
	const memoryReserve = firstOf(env, ['CCFLEET_MEMORY_RESERVE', 'MEMORY_RESERVE']);
	const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
	if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL is "${env.LOG_LEVEL}"; use one of ${LOG_LEVELS.join(', ')}.`);
	const shared = optionalShared(env);
	return {
		home,
		socketPath: path.join(home, 'run', 'ccfleet.sock'),
		attachSocketPath: path.join(home, 'run', 'attach.sock'),
		databasePath: path.join(home, 'ccfleet.db'),
		logsDirectory: path.join(home, 'logs'),
		lockPath: path.join(home, 'ccfleet.lock'),
		daemonLogPath: path.join(home, 'daemon.log'),
		maxWorkers: env.CCFLEET_MAX_WORKERS ? parseWholeNumber(env.CCFLEET_MAX_WORKERS, 'CCFLEET_MAX_WORKERS', 1) : undefined,
		cpuThresholdPercent: cpuThreshold ? parsePercent(cpuThreshold.value, cpuThreshold.name) : 80,
		memoryReserveBytes: memoryReserve ? parseSizeOrZero(memoryReserve.value, memoryReserve.name) : 1024 ** 3,
		workerMaxRssBytes: env.CCFLEET_WORKER_MAX_RSS ? parseSize(env.CCFLEET_WORKER_MAX_RSS, 'CCFLEET_WORKER_MAX_RSS') : 4 * 1024 ** 3,
		dailyBudgetUsd: env.CCFLEET_DAILY_BUDGET_USD ? parseUsd(env.CCFLEET_DAILY_BUDGET_USD, 'CCFLEET_DAILY_BUDGET_USD') : undefined,
		staggerMs: env.CCFLEET_STAGGER_MS ? parseWholeNumber(env.CCFLEET_STAGGER_MS, 'CCFLEET_STAGGER_MS', 0) : 0,
		retryBaseMs: env.CCFLEET_RETRY_BASE ? parseDuration(env.CCFLEET_RETRY_BASE, 'CCFLEET_RETRY_BASE') : 10_000,
		maxAttempts: env.CCFLEET_MAX_ATTEMPTS ? parseWholeNumber(env.CCFLEET_MAX_ATTEMPTS, 'CCFLEET_MAX_ATTEMPTS', 1) : 3,
		taskTimeoutMs: env.TASK_TIMEOUT ? parseDuration(env.TASK_TIMEOUT, 'TASK_TIMEOUT') : 30 * 60_000,
		maxOutputBytes: env.MAX_OUTPUT_BUFFER ? parseSize(env.MAX_OUTPUT_BUFFER, 'MAX_OUTPUT_BUFFER') : 10 * 1024 * 1024,
		permissionMode,
		workerMode,
		trustWorkspace: env.CCFLEET_TRUST_WORKSPACE ? parseBoolean(env.CCFLEET_TRUST_WORKSPACE, 'CCFLEET_TRUST_WORKSPACE') : true,
		approveApiKey: env.CCFLEET_APPROVE_API_KEY ? parseBoolean(env.CCFLEET_APPROVE_API_KEY, 'CCFLEET_APPROVE_API_KEY') : true,
		logLevel,
		policyPath: path.join(home, 'policy.json'),
		ask: {
			notifyAfterMs: env.CCFLEET_ASK_NOTIFY_AFTER ? parseDurationOrZero(env.CCFLEET_ASK_NOTIFY_AFTER, 'CCFLEET_ASK_NOTIFY_AFTER') : 2 * 60_000,
			timeoutMs: env.CCFLEET_ASK_TIMEOUT && env.CCFLEET_ASK_TIMEOUT !== 'never' ? parseDuration(env.CCFLEET_ASK_TIMEOUT, 'CCFLEET_ASK_TIMEOUT') : undefined,
			timeoutAnswer: parseTimeoutAnswer(env.CCFLEET_ASK_TIMEOUT_ANSWER),
		},
		notify: {
			...(env.CCFLEET_NOTIFY_URL ? {url: parseNotifyUrl(env.CCFLEET_NOTIFY_URL)} : {}),
			format: parseNotifyFormat(env.CCFLEET_NOTIFY_FORMAT),
			desktop: env.CCFLEET_NOTIFY_DESKTOP ? parseBoolean(env.CCFLEET_NOTIFY_DESKTOP, 'CCFLEET_NOTIFY_DESKTOP') : true,
			bell: env.CCFLEET_BELL ? parseBoolean(env.CCFLEET_BELL, 'CCFLEET_BELL') : true,
		},
		...optionalHttp(env),
		...shared,
		host: hostIdentity(env, shared.shared !== undefined),
	};
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function optionalShared(env: NodeJS.ProcessEnv): {shared?: SharedSettings} {
	const url = env.CCFLEET_DATABASE_URL?.trim();
	if (!url) return {};
	if (!/^postgres(?:ql)?:\/\/\S*$/.test(url)) {
		throw new ConfigError(
			"CCFLEET_DATABASE_URL is not a PostgreSQL URL; give postgres://user:password@host:5432/database (or postgresql://…, or postgres://user@/database?host=/run/postgresql for a Unix socket), or unset it to keep this host's own SQLite.",
		);
	}
	const leaseMs = env.CCFLEET_LEASE_MS ? parseWholeNumber(env.CCFLEET_LEASE_MS, 'CCFLEET_LEASE_MS', 300) : undefined;
	return {shared: {databaseUrl: url, leaseMs}};
}

function hostIdentity(env: NodeJS.ProcessEnv, isShared: boolean): HostIdentity {
	const id = env.CCFLEET_HOST_ID?.trim() || os.hostname();
	const labels = [
		...new Set(
			(env.CCFLEET_HOST_LABELS ?? '')
				.split(',')
				.map(label => label.trim())
				.filter(label => label !== ''),
		),
	];
	if (!isShared) return {id, labels};
	if (!HOST_NAME.test(id)) {
		throw new ConfigError(
			`CCFLEET_HOST_ID is "${id}"; give 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit, the same at every start of this host.`,
		);
	}
	const bad = labels.find(label => !HOST_NAME.test(label));
	if (bad !== undefined) {
		throw new ConfigError(`CCFLEET_HOST_LABELS has "${bad}"; give a comma list of names of letters, digits, dots, dashes or underscores (gpu,big-ram).`);
	}
	return {id, labels};
}

function optionalHttp(env: NodeJS.ProcessEnv): {http?: HttpSettings} {
	const http = httpSettingsFromEnv(env);
	return http ? {http} : {};
}

function parseNotifyUrl(text: string): string {
	let url: URL | undefined;
	try {
		url = new URL(text.trim());
	} catch {
		url = undefined;
	}
	if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
		throw new ConfigError(`CCFLEET_NOTIFY_URL is "${text}"; give an http(s) URL that takes a POST, such as https://ntfy.sh/<your-topic>.`);
	}
	return url.toString();
}

function parseNotifyFormat(text: string | undefined): 'text' | 'json' {
	const value = (text || 'text').trim().toLowerCase();
	if (value !== 'text' && value !== 'json') throw new ConfigError(`CCFLEET_NOTIFY_FORMAT is "${text}"; use text (ntfy-compatible, the default) or json.`);
	return value;
}

/** A duration, or 0 to turn the thing off. */
function parseDurationOrZero(text: string, name: string): number {
	return text.trim() === '0' ? 0 : parseDuration(text, name);
}

function parseTimeoutAnswer(text: string | undefined): AskTimeoutAnswer {
	const value = (text || 'deny').trim().toLowerCase() as AskTimeoutAnswer;
	if (!ASK_TIMEOUT_ANSWERS.includes(value)) throw new ConfigError(`CCFLEET_ASK_TIMEOUT_ANSWER is "${text}"; use deny (the worker is told nobody answered) or wait.`);
	return value;
}
