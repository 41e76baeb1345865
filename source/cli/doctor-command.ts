import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {execa} from 'execa';
import type {Config} from '../config.js';
import {findClaudeBinary} from '../adapters/claude/claude-binary.js';
import {readStateLockOwner} from '../adapters/system/state-lock.js';
import {DEFAULT_RESOURCE_OPTIONS} from '../core/fleet/resource-gauge.js';
import {connectToSocket, NoCoreRunningError} from '../mcp/socket-server.js';
import {checkSharedDatabase} from './doctor-shared.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
/** One check: what was found and, unless it is ok, what to do about it. */
export type CheckResult = {name: string; status: CheckStatus; detail: string; next?: string};

/** The claude ccfleet is built and tested against; an older one may lack flags or hooks ccfleet uses. */
export const TESTED_CLAUDE_VERSION = '2.1.330';
const CLAUDE_VERSION_TIMEOUT_MS = 15_000;
const SOCKET_PROBE_TIMEOUT_MS = 1500;
const DISK_FAIL_BYTES = 256 * 1024 ** 2;
const DISK_WARN_BYTES = 2 * 1024 ** 3;

const GB = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

function compareVersions(a: string, b: string): number {
	const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
	for (let index = 0; index < 3; index++) if ((x[index] ?? 0) !== (y[index] ?? 0)) return (x[index] ?? 0) - (y[index] ?? 0);
	return 0;
}

async function checkClaude(env: NodeJS.ProcessEnv): Promise<CheckResult> {
	let binary;
	try {
		binary = findClaudeBinary(env);
	} catch (error) {
		return {name: 'claude', status: 'fail', detail: 'no claude binary found', next: (error as Error).message};
	}
	const where = `${binary.path} (from ${binary.source})`;
	const run = await execa(binary.path, ['--version'], {env, reject: false, timeout: CLAUDE_VERSION_TIMEOUT_MS, stdin: 'ignore'});
	const version = /(\d+\.\d+\.\d+)/.exec(run.stdout)?.[1];
	if (run.exitCode !== 0 || !version) {
		const said = (run.stderr || run.stdout || run.shortMessage || 'no output').trim().split('\n')[0] ?? '';
		return {
			name: 'claude',
			status: 'fail',
			detail: `${where} does not run: ${said}`,
			next: `Run \`${binary.path} --version\` to see why; reinstall Claude Code or point CCFLEET_CLAUDE_BIN at a working claude.`,
		};
	}
	if (compareVersions(version, TESTED_CLAUDE_VERSION) < 0) {
		return {
			name: 'claude',
			status: 'warn',
			detail: `${version} at ${where}, older than ${TESTED_CLAUDE_VERSION}`,
			next: 'Update it: `claude update` or `npm install -g @anthropic-ai/claude-code`.',
		};
	}
	return {name: 'claude', status: 'ok', detail: `${version} at ${where}`};
}

function checkLogin(env: NodeJS.ProcessEnv): CheckResult {
	const fromEnv: [string, string][] = [
		['ANTHROPIC_API_KEY', 'an API key'],
		['ANTHROPIC_AUTH_TOKEN', 'a bearer token'],
		['CLAUDE_CODE_OAUTH_TOKEN', 'a subscription token'],
		['CLAUDE_CODE_USE_BEDROCK', 'Amazon Bedrock'],
		['CLAUDE_CODE_USE_VERTEX', 'Google Vertex AI'],
	];
	for (const [name, what] of fromEnv) if (env[name]) return {name: 'login', status: 'ok', detail: `${what} (${name})`};
	const configDir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.claude');
	const credentials = path.join(configDir, '.credentials.json');
	if (fs.existsSync(credentials)) return {name: 'login', status: 'ok', detail: `a subscription login (${credentials})`};
	const how = 'Run `claude` and /login once, or set ANTHROPIC_API_KEY, or make a token with `claude setup-token` and set CLAUDE_CODE_OAUTH_TOKEN.';
	if (process.platform === 'darwin') return {name: 'login', status: 'warn', detail: 'no API key or token in the environment; a login may be in the keychain', next: how};
	return {name: 'login', status: 'fail', detail: `no API key or token in the environment and no ${credentials}`, next: how};
}

function checkStateDirectory(config: Config): CheckResult {
	const {home} = config;
	let info: fs.Stats;
	try {
		info = fs.statSync(home);
	} catch {
		return {name: 'state', status: 'ok', detail: `${home} does not exist yet; the first start creates it (0700)`};
	}
	if (!info.isDirectory()) return {name: 'state', status: 'fail', detail: `${home} is not a directory`, next: 'Move it away or point CCFLEET_HOME at a directory.'};
	const uid = process.getuid?.();
	if (uid !== undefined && info.uid !== uid) {
		return {name: 'state', status: 'fail', detail: `${home} belongs to uid ${info.uid}, not you (${uid})`, next: 'Point CCFLEET_HOME at a directory of your own.'};
	}
	if ((info.mode & 0o1000) !== 0)
		return {name: 'state', status: 'fail', detail: `${home} is shared by all users (sticky bit)`, next: 'Point CCFLEET_HOME at a directory of your own.'};
	const db = config.databasePath;
	const entries = [home, db, `${db}-wal`, `${db}-shm`, config.lockPath, config.daemonLogPath, config.logsDirectory];
	if (fs.existsSync(config.logsDirectory)) entries.push(...fs.readdirSync(config.logsDirectory).map(name => path.join(config.logsDirectory, name)));
	const open = entries.filter(entry => {
		try {
			const stats = fs.lstatSync(entry);
			return !stats.isSymbolicLink() && (stats.mode & 0o077) !== 0;
		} catch {
			return false;
		}
	});
	if (open.length > 0) {
		const named = open.slice(0, 3).map(entry => `${entry} (${octal(fs.lstatSync(entry).mode)})`);
		return {
			name: 'state',
			status: 'fail',
			detail: `others may read ccfleet's state: ${named.join(', ')}${open.length > 3 ? ` and ${open.length - 3} more` : ''}`,
			next: `Run \`chmod -R go-rwx ${home}\`; ccfleet also makes them private at its next start.`,
		};
	}
	return {name: 'state', status: 'ok', detail: `${home}, private to you (0700 and 0600)`};
}

function checkDatabase(config: Config): CheckResult {
	const db = config.databasePath;
	if (!fs.existsSync(db)) return {name: 'database', status: 'ok', detail: `${db} does not exist yet; the first start creates it`};
	let connection: Database.Database | undefined;
	try {
		connection = new Database(db, {readonly: true, fileMustExist: true, timeout: 2000});
		const rows = connection.pragma('quick_check') as {quick_check: string}[];
		const version = connection.pragma('user_version', {simple: true}) as number;
		const problems = rows.map(row => row.quick_check).filter(text => text !== 'ok');
		if (problems.length > 0) throw Object.assign(new Error(problems.slice(0, 2).join('; ')), {code: 'SQLITE_CORRUPT'});
		return {name: 'database', status: 'ok', detail: `${db}: integrity ok, schema version ${version}`};
	} catch (error) {
		const code = (error as {code?: string}).code ?? '';
		if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
			return {
				name: 'database',
				status: 'warn',
				detail: `${db} is locked by another process`,
				next: 'Run doctor again in a moment; if it stays locked, find the process with `fuser` and stop it.',
			};
		}
		if (code === 'SQLITE_CANTOPEN' || code === 'EACCES') {
			return {
				name: 'database',
				status: 'fail',
				detail: `${db} cannot be opened: ${(error as Error).message}`,
				next: 'Check that the file is yours and readable (ls -l); fix its owner or mode.',
			};
		}
		return {
			name: 'database',
			status: 'fail',
			detail: `${db} is damaged: ${(error as Error).message}`,
			next: `Stop ccfleet, then move it away (mv ${db} ${db}.broken); the next start makes an empty one. \`sqlite3 ${db}.broken .recover\` may save its tasks.`,
		};
	} finally {
		connection?.close();
	}
}

async function checkSocket(config: Config): Promise<CheckResult> {
	const socket = config.socketPath;
	const owner = readStateLockOwner(config.lockPath);
	try {
		const connection = await connectToSocket(socket, {timeoutMs: SOCKET_PROBE_TIMEOUT_MS});
		connection.destroy();
		return {name: 'socket', status: 'ok', detail: `a core answers on ${socket}${owner ? ` (pid ${owner.pid})` : ''}`};
	} catch (error) {
		if (error instanceof NoCoreRunningError) {
			if (fs.existsSync(socket)) {
				return {
					name: 'socket',
					status: 'warn',
					detail: `${socket} is left from a core that did not stop cleanly; nothing answers`,
					next: 'Start ccfleet (`ccfleet --daemon`); it replaces the file.',
				};
			}
			return {name: 'socket', status: 'ok', detail: `no core is running (${socket} appears when one starts: \`ccfleet --daemon\` or \`ccfleet\`)`};
		}
		const message = (error as Error).message;
		if (/longer than/.test(message)) return {name: 'socket', status: 'fail', detail: message, next: 'Point CCFLEET_HOME at a shorter path.'};
		return {name: 'socket', status: 'fail', detail: message, next: 'Stop the core that holds it (`ccfleet stop`, or kill the pid in ccfleet.lock) and start it again.'};
	}
}

function nearestExisting(directory: string): string {
	let current = directory;
	while (!fs.existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
	return current;
}

function checkDisk(config: Config): CheckResult {
	const where = nearestExisting(config.home);
	const stats = fs.statfsSync(where);
	const free = stats.bavail * stats.bsize;
	const detail = `${GB(free)} free on the disk of ${where}`;
	const next = 'Free some space there (task logs are in logs/, finished worktrees in worktrees/) or move CCFLEET_HOME to a larger disk.';
	if (free < DISK_FAIL_BYTES) return {name: 'disk', status: 'fail', detail, next};
	if (free < DISK_WARN_BYTES) return {name: 'disk', status: 'warn', detail, next};
	return {name: 'disk', status: 'ok', detail};
}

function checkResources(config: Config): CheckResult {
	const cpus = os.availableParallelism();
	const load = Math.round((os.loadavg()[0]! / cpus) * 100);
	const spare = os.freemem() - config.memoryReserveBytes;
	const fit = Math.max(0, Math.floor(spare / DEFAULT_RESOURCE_OPTIONS.initialWorkerBytes.pty));
	const ceiling = config.maxWorkers === undefined ? 'no ceiling' : `ceiling ${config.maxWorkers}`;
	const detail =
		`${cpus} CPUs at ${load}% load (workers start below ${config.cpuThresholdPercent}%), ${GB(os.freemem())} of ${GB(os.totalmem())} memory free, ` +
		`${GB(config.memoryReserveBytes)} kept in reserve: about ${fit} TUI worker(s) fit now; ${ceiling}`;
	if (fit === 0) {
		return {name: 'resources', status: 'warn', detail, next: 'No worker can start until memory frees up; lower MEMORY_RESERVE or stop other programs.'};
	}
	if (load >= config.cpuThresholdPercent) {
		return {name: 'resources', status: 'warn', detail, next: 'Workers wait while the CPU is this busy; raise CPU_THRESHOLD or wait for the load to drop.'};
	}
	return {name: 'resources', status: 'ok', detail};
}

/** Every check, in the order a person would fix them. */
export async function runDoctorChecks(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
	const safely = async (name: string, check: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> => {
		try {
			return await check();
		} catch (error) {
			return {name, status: 'fail', detail: `the check itself failed: ${(error as Error).message}`, next: 'Report this with the line above.'};
		}
	};
	return [
		await safely('claude', () => checkClaude(env)),
		await safely('login', () => checkLogin(env)),
		await safely('state', () => checkStateDirectory(config)),
		// A shared fleet's tasks are in PostgreSQL; this host's SQLite file is not used then.
		await safely('database', () => (config.shared ? checkSharedDatabase(config.shared, config.host) : checkDatabase(config))),
		await safely('socket', () => checkSocket(config)),
		await safely('disk', () => checkDisk(config)),
		await safely('resources', () => checkResources(config)),
	];
}

export function formatDoctorReport(results: CheckResult[]): string {
	const width = Math.max(...results.map(result => result.name.length));
	const lines = results.flatMap(result => [
		`${result.status.padEnd(4)}  ${result.name.padEnd(width)}  ${result.detail}`,
		...(result.next ? [`${' '.repeat(width + 8)}→ ${result.next}`] : []),
	]);
	const failed = results.filter(result => result.status === 'fail').length;
	const warned = results.filter(result => result.status === 'warn').length;
	lines.push('', failed > 0 ? `${failed} check(s) failed; fix them as shown above.` : warned > 0 ? `All essential checks pass; ${warned} warning(s).` : 'All checks pass.');
	return `${lines.join('\n')}\n`;
}

/** `ccfleet doctor`: prints each check (or JSON with --json); exit 1 when one failed. */
export async function doctor(config: Config, flags: {json?: boolean}, options: {env?: NodeJS.ProcessEnv; write?: (text: string) => void} = {}): Promise<number> {
	const write = options.write ?? ((text: string) => process.stdout.write(text));
	const results = await runDoctorChecks(config, options.env);
	write(flags.json ? `${JSON.stringify(results, null, 2)}\n` : formatDoctorReport(results));
	return results.some(result => result.status === 'fail') ? 1 : 0;
}
