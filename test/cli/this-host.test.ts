import {describe, expect, it} from 'vitest';
import {COMMANDS, MAIN_HELP} from '../../source/cli/command-specs.js';
import {placementWarning} from '../../source/cli/commands.js';
import {ownRunning} from '../../source/cli/daemon.js';
import {startedMessage} from '../../source/cli/daemon-launch.js';
import {formatAdmission, formatTaskTable} from '../../source/cli/format.js';
import {ownTasks, stoppedMessage} from '../../source/cli/stop-command.js';
import {taskFlagsHelp} from '../../source/cli/task-flags.js';
import {loadConfig} from '../../source/config.js';
import {attachElsewhere, logElsewhere} from '../../source/core/domain/other-host.js';
import type {Task} from '../../source/core/domain/task.js';
import type {FleetStatus, TaskView} from '../../source/protocol/views.js';
import {fleetStatus, taskView} from '../fakes/task-views.js';

// On a fleet several hosts share, every host's CLI sees every task; what only concerns this host (its workers, its
// stop, its log files, its terminals) must be this host's, and say so.
const now = Date.parse('2026-11-30T12:00:00Z');

const task = (id: string, extra: Partial<TaskView> = {}): TaskView => taskView(id, now, extra);

const hosts = (): NonNullable<FleetStatus['hosts']> => [
	{id: 'alpha', labels: ['gpu'], heartbeatAt: new Date(now).toISOString(), workers: 1},
	{id: 'beta', labels: [], heartbeatAt: new Date(now).toISOString(), workers: 1},
	{id: 'gamma', labels: ['tpu'], heartbeatAt: new Date(now - 60_000).toISOString(), workers: 0, down: true},
];

describe('ccfleet stop on a shared fleet', () => {
	const onAlpha = task('mmxtid31', {host: 'alpha', prompt: 'fast on alpha'});
	const onBeta = task('d2rr368s', {host: 'beta', prompt: 'slow on beta'});

	it("stops and cancels only this host's running tasks; on one host, all", () => {
		expect(ownTasks([onAlpha, onBeta], 'alpha')).toEqual([onAlpha]);
		expect(ownTasks([task('a'), task('b')], undefined).map(each => each.id)).toEqual(['a', 'b']);
	});

	it('says they resume on this host, or on another once its lease runs out', () => {
		const text = stoppedMessage(42, [onAlpha], [], true, 'alpha');
		expect(text).toBe(
			"ccfleet: stopped (pid 42). 1 running task will resume on this host's next start, or on another host once its lease (CCFLEET_LEASE_MS) runs out: mmxtid31 (fast on alpha).",
		);
		expect(stoppedMessage(42, [], [], true, 'alpha')).toContain('No task was running on this host (alpha).');
		expect(stoppedMessage(42, [onAlpha], [], true)).toContain('1 running task will resume on the next start (ccfleet, or any ccfleet command)');
	});
});

describe("another host's terminals and logs", () => {
	it('says where to attach and where the log is; nothing for this host or one host', () => {
		expect(attachElsewhere({id: 'd2rr368s', status: 'running', host: 'beta'}, 'alpha')).toBe(
			'Task d2rr368s runs on host beta: attach there (ssh beta, then ccfleet attach d2rr368s).',
		);
		expect(attachElsewhere({id: 'd2rr368s', status: 'completed', host: 'beta'}, 'alpha')).toBeUndefined();
		expect(attachElsewhere({id: 'x', status: 'running', host: 'alpha'}, 'alpha')).toBeUndefined();
		expect(attachElsewhere({id: 'x', status: 'running'}, undefined)).toBeUndefined();
		expect(logElsewhere({id: 'k3f9a2zq', status: 'needs_input', host: 'alpha'}, 'beta')).toBe(
			'Task k3f9a2zq runs on host alpha; its log is there (ccfleet logs k3f9a2zq on alpha).',
		);
		expect(logElsewhere({id: 'k3f9a2zq', status: 'completed', host: 'alpha'}, 'beta')).toBe(
			'Task k3f9a2zq ran on host alpha; its log is there (ccfleet logs k3f9a2zq on alpha).',
		);
		expect(logElsewhere({id: 'k3f9a2zq', status: 'completed', host: 'beta'}, 'beta')).toBeUndefined();
	});
});

describe('ccfleet status with several hosts', () => {
	it('labels the footer lines that are this host\'s own with "this host (alpha):"', () => {
		const shared = formatAdmission(fleetStatus({host: 'alpha', admission: {...fleetStatus().admission, heldBy: 'MAX_WORKERS=2 reached'}, hosts: hosts()}), now);
		const lines = shared.split('\n');
		expect(lines[0]).toBe('this host (alpha): queue held: MAX_WORKERS=2 reached');
		expect(lines[1]).toMatch(/^this host \(alpha\): workers: 1 running of at most 2/);
		expect(lines.at(-1)).toMatch(/^hosts: alpha \[gpu\] 1 running · beta 1 running · gamma \[tpu\] down$/);
		expect(formatAdmission(fleetStatus(), now)).toMatch(/^workers: 1 running of at most 2/);
	});

	it('shows a pinned host as →gamma and a pinned label as →[tpu], within 80 columns', () => {
		const table = formatTaskTable(
			[
				task('a1', {host: 'alpha'}),
				task('b1', {host: 'beta'}),
				task('q1', {status: 'queued', pin: {host: 'gamma'}}),
				task('q2', {status: 'queued', pin: {label: 'tpu'}}),
				task('q3', {status: 'queued', pin: {host: 'beta', label: 'tpu'}}),
			],
			80,
			now,
		).split('\n');
		expect(table[3]).toMatch(/^q1\s+queued\s+P1\s+→gamma\s+/);
		expect(table[4]).toMatch(/^q2\s+queued\s+P1\s+→\[tpu\]\s+/);
		expect(table[5]).toMatch(/^q3\s+queued\s+P1\s+→beta\[tpu\]\s+/);
		for (const line of table) expect(line.length).toBeLessThanOrEqual(80);
	});
});

describe('delegate --host or --label where no live host fits', () => {
	it('warns naming the live hosts; says nothing when one fits or on one host', () => {
		const gamma = task('t1', {status: 'queued', pin: {host: 'gamma'}});
		expect(placementWarning(gamma, hosts())).toBe('no live host is gamma (live: alpha [gpu], beta); the task waits for one.');
		expect(placementWarning(task('t2', {status: 'queued', pin: {label: 'tpu'}}), hosts())).toBe(
			'no live host has label tpu (live: alpha [gpu], beta); the task waits for one.',
		);
		expect(placementWarning(task('t3', {status: 'queued', pin: {host: 'beta', label: 'gpu'}}), hosts())).toMatch(/^no live host is beta with label gpu \(/);
		expect(placementWarning(task('t4', {status: 'queued', pin: {label: 'gpu'}}), hosts())).toBeUndefined();
		expect(placementWarning(task('t5', {status: 'queued', pin: {host: 'beta'}}), hosts())).toBeUndefined();
		expect(placementWarning(task('t6', {status: 'queued', pin: {host: 'beta'}, waitingFor: 'host beta'}), hosts())).toMatch(/^no live host is beta/);
		expect(placementWarning(gamma, undefined)).toBeUndefined();
	});
});

describe('the daemon', () => {
	it('says which store a daemon a command started uses', () => {
		const local = loadConfig({CCFLEET_HOME: '/tmp/fleet-x'});
		expect(startedMessage(local, 7)).toBe(
			"ccfleet: no core was running; started a background daemon (pid 7, log /tmp/fleet-x/daemon.log). Its tasks are kept in this machine's own SQLite at /tmp/fleet-x/ccfleet.db.",
		);
		const shared = loadConfig({CCFLEET_HOME: '/tmp/fleet-x', CCFLEET_DATABASE_URL: 'postgres://db/fleet', CCFLEET_HOST_ID: 'laptop'});
		expect(startedMessage(shared, 7)).toMatch(
			/no core was running; started a background daemon \(pid 7, .*\)\. It joined the fleet on the shared PostgreSQL \(CCFLEET_DATABASE_URL\) as host laptop, with its state in \/tmp\/fleet-x\.$/,
		);
	});

	it("counts only this host's running tasks when it stops", () => {
		const tasks = [{id: 'a'}, {id: 'b'}, {id: 'c'}] as Task[];
		const holders: Record<string, string> = {a: 'alpha', b: 'beta', c: 'alpha'};
		expect(ownRunning({list: () => tasks, hosts: {ofTask: id => holders[id], ownId: 'alpha'}})).toBe(2);
		expect(ownRunning({list: () => tasks, hosts: {ofTask: () => undefined, ownId: undefined}})).toBe(3);
	});
});

describe('help', () => {
	it('lists the environment of several hosts, and says where schedules live', () => {
		for (const name of ['CCFLEET_DATABASE_URL', 'CCFLEET_HOST_ID', 'CCFLEET_HOST_LABELS', 'CCFLEET_LEASE_MS']) expect(MAIN_HELP).toMatch(new RegExp(`^ {4}${name} `, 'm'));
		expect(COMMANDS['schedule']!.help).toMatch(/with several hosts on one\s+PostgreSQL they are kept in the database/);
		expect(COMMANDS['stop']!.help).toMatch(/only this host's own running tasks/);
	});

	it("lists delegate's --no-stdin with its options, before the closing line, and gives --timeout as a duration only", () => {
		const help = COMMANDS['delegate']!.help;
		expect(help.indexOf('--no-stdin')).toBeGreaterThan(0);
		expect(help.indexOf('--no-stdin')).toBeLessThan(help.indexOf("Prints the task's id"));
		expect(help.trimEnd().split('\n').at(-1)).toMatch(/Prints the task's id/);
		const flags = taskFlagsHelp();
		expect(flags).toMatch(/--timeout <duration>\n\s+How long the task may run before it fails; default TASK_TIMEOUT \(30 minutes\)\. Give a duration/);
		expect(flags).not.toMatch(/milliseconds/);
		expect(flags).toMatch(/--max-output <size>\n\s+Cap of the task's log; default MAX_OUTPUT_BUFFER \(10 MB\)\. Give a size/);
	});
});
