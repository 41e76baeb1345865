import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {PRIORITIES} from '../../core/domain/task.js';
import {isLiveHost} from '../../core/fleet/placement.js';
import type {Fleet} from '../../core/fleet.js';
import {fleetSettingsShape, type FleetSettings} from '../../core/domain/fleet-settings.js';
import {listedInput} from './task-shape.js';
import {fleetCounters} from '../fleet-counters.js';
import {taskView} from '../task-view.js';
import {clientLabel} from './task-tools.js';
import {failure, guard, ok, taskIdSchema} from './tool-result.js';
import {configureResultSchema, fleetStatusResultSchema, queueResultSchema} from '../../protocol/tool-results.js';
import type {FleetStatus} from '../../protocol/views.js';

/** manage_queue and fleet_status. */
export function registerFleetTools(server: McpServer, fleet: Fleet): void {
	server.registerTool(
		'manage_queue',
		{
			outputSchema: queueResultSchema,
			title: 'Look at and rearrange the queue',
			description: 'list the queue in run order; or, for a queued task: reprioritize, remove, or depend (also wait for dependsOn).',
			inputSchema: {
				action: z.enum(['list', 'reprioritize', 'remove', 'depend']),
				id: taskIdSchema.optional().describe('The queued task.'),
				priority: z.enum(PRIORITIES).optional(),
				dependsOn: z.array(taskIdSchema).min(1).max(100).optional(),
			},
		},
		async ({action, id, priority, dependsOn}) =>
			guard(async () => {
				if (action === 'list') {
					const queued = fleet.list({statuses: ['queued']}).map(task => taskView(fleet, task, {promptChars: 200}));
					const order = new Map(fleet.queueOrder().map((queuedId, index) => [queuedId, index]));
					queued.sort((a, b) => (order.get(a.id) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.id) ?? Number.MAX_SAFE_INTEGER));
					const line = (task: (typeof queued)[number]) =>
						`${task.queuePosition ? `#${task.queuePosition}` : 'waits'} ${task.id} ${task.priority}${task.waitingOn?.length ? ` (for ${task.waitingOn.join(', ')})` : ''} ${task.prompt}`;
					return ok({queue: queued}, queued.length === 0 ? 'The queue is empty.' : queued.map(line).join('\n'));
				}
				if (!id) return failure(`${action} needs the id of a queued task (manage_queue {"action":"list"} shows them).`);
				const task = fleet.get(id);
				if (task.status !== 'queued') {
					const what = {remove: 'removed from the queue', reprioritize: 'reprioritized', depend: 'made to depend on other tasks'}[action];
					return failure(`Task ${id} is ${task.status}; only a queued task can be ${what}.`);
				}
				if (action === 'depend') {
					if (!dependsOn?.length) return failure('depend needs `dependsOn`: the task ids it must also wait for.');
					const task = await fleet.anywhere.addDependencies(id, dependsOn);
					return ok({task: taskView(fleet, task)}, `Task ${id} now waits for ${fleet.waitingOn(id).join(', ') || 'nothing (its dependencies completed)'}.`);
				}
				if (action === 'reprioritize') {
					if (!priority) return failure('reprioritize needs `priority`: P0, P1 or P2.');
					const moved = taskView(fleet, await fleet.anywhere.reprioritize(id, priority));
					const place = moved.queuePosition ? `#${moved.queuePosition} in the queue` : moved.host ? `queued for host ${moved.host}` : 'queued for any host to take';
					return ok({task: moved}, `Task ${id} is now ${priority}, ${place}.`);
				}
				const removed = await fleet.cancel(id, {by: clientLabel(server), reason: 'removed from the queue'});
				return ok({task: taskView(fleet, removed)}, `Task ${id} was removed from the queue.`);
			}),
	);

	server.registerTool(
		'fleet_status',
		{
			outputSchema: fleetStatusResultSchema,
			title: 'The fleet at a glance',
			description: 'Workers, queue, counts, cost, questions waiting, limits, CPU and memory.',
			inputSchema: {},
			annotations: {readOnlyHint: true},
		},
		async () =>
			guard(async () => {
				const system = await fleet.sampleSystem();
				// The same counters the fleet feed pushes to a dashboard, plus the machine's CPU and memory.
				const hosts = await fleetHosts(fleet);
				const status = {...fleetCounters(fleet), system, ...(hosts.length > 0 ? {hosts} : {})};
				const backoff = status.backoff;
				const text =
					// The workers are the answering host's; the queue, cost and questions the fleet's.
					`${status.workers.running}/${status.workers.allowed} workers running${status.host === undefined ? '' : ` on this host (${status.host})`}, ${status.queued} queued, $${status.costUsd.toFixed(2)} spent. ` +
					`CPU ${system.cpuPercent.toFixed(0)}%, memory ${(system.memoryFreeBytes / 1024 ** 3).toFixed(1)} of ${(system.memoryTotalBytes / 1024 ** 3).toFixed(1)} GB free.` +
					(backoff ? `\nNew workers wait until ${backoff.until} (the API turned one away: ${backoff.reason}).` : '') +
					(status.usageLimit
						? `\nUsage limit${status.usageLimit.kind ? ` (${status.usageLimit.kind})` : ''}: ${status.usageLimit.state}${status.usageLimit.resetsAt ? `, resets ${status.usageLimit.resetsAt}` : ''}.`
						: '') +
					(status.needsInput.length ? `\nWaiting for an answer: ${status.needsInput.map(entry => `${entry.id} (${entry.question})`).join('; ')}` : '') +
					(hosts.length > 0
						? `\nHosts: ${hosts.map(host => `${host.id}${host.labels.length ? ` [${host.labels.join(',')}]` : ''} ${host.down ? 'down' : `${host.workers} running`}`).join('; ')}.`
						: '');
				return ok(status, text);
			}),
	);

	server.registerTool(
		'configure_fleet',
		{
			outputSchema: configureResultSchema,
			title: "Change the fleet's limits while it runs",
			description: 'Changes the given limits; without arguments reports them.',
			// Listed with short descriptions; checked against the settings' own schema, bounds and all.
			inputSchema: listedInput(
				{
					maxWorkers: fleetSettingsShape.maxWorkers.describe('Workers at once; null: no ceiling.'),
					cpuThresholdPercent: fleetSettingsShape.cpuThresholdPercent.describe('No start at this CPU %.'),
					memoryReserveBytes: fleetSettingsShape.memoryReserveBytes.describe('Kept free: bytes or "2GB".'),
					workerMaxRssBytes: fleetSettingsShape.workerMaxRssBytes.describe('Recycle a worker past this.'),
					dailyBudgetUsd: fleetSettingsShape.dailyBudgetUsd.describe('USD a day; null: none.'),
				},
				fleetSettingsShape,
			),
		},
		async change =>
			guard(() => {
				const settings = Object.keys(change).length === 0 ? fleet.settings() : fleet.configure(change);
				const {spentTodayUsd} = fleet.admissionState();
				return ok({settings, spentTodayUsd}, describeSettings(settings, spentTodayUsd));
			}),
	);
}

/** The settings in force, for a person or a model. */
function describeSettings(settings: FleetSettings, spentTodayUsd: number): string {
	const gigabytes = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
	return [
		`Workers: ${settings.maxWorkers === undefined ? 'no ceiling (the machine decides)' : `at most ${settings.maxWorkers}`}.`,
		`A worker starts while CPU load is under ${settings.cpuThresholdPercent} % and ${gigabytes(settings.memoryReserveBytes)} of memory stay free.`,
		`A worker is recycled past ${gigabytes(settings.workerMaxRssBytes)}.`,
		settings.dailyBudgetUsd === undefined
			? `No daily budget ($${spentTodayUsd.toFixed(2)} spent since midnight).`
			: `Daily budget $${settings.dailyBudgetUsd.toFixed(2)}, $${spentTodayUsd.toFixed(2)} spent since midnight.`,
	].join(' ');
}

/**
 * With several hosts, each host of the fleet and how many workers it runs (tasks running or asking, by holder). A host
 * is down once it stopped, or when its heartbeat is older than its lease (its tasks go to other hosts then).
 */
async function fleetHosts(fleet: Fleet): Promise<NonNullable<FleetStatus['hosts']>> {
	const hosts = await fleet.hosts.list();
	const leaseMs = fleet.hosts.leaseMs;
	if (hosts.length === 0 || leaseMs === undefined) return [];
	const workers = new Map<string, number>();
	for (const task of fleet.list({statuses: ['running', 'needs_input']})) {
		const host = fleet.hosts.ofTask(task.id);
		if (host) workers.set(host, (workers.get(host) ?? 0) + 1);
	}
	const now = Date.now();
	return hosts.map(host => ({
		id: host.id,
		labels: host.labels,
		heartbeatAt: new Date(host.heartbeatAt).toISOString(),
		workers: workers.get(host.id) ?? 0,
		...(isLiveHost(host, now, leaseMs) ? {} : {down: true}),
	}));
}
