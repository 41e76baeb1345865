import type {Fleet} from '../core/fleet.js';
import type {FleetCounters} from '../protocol/fleet-changes.js';

/** What fleet_status reports, less the sampled CPU and memory. */
export function fleetCounters(fleet: Fleet): FleetCounters {
	const workers = fleet.workers();
	const counts = fleet.counts();
	const backoff = fleet.backoff();
	const usageLimit = fleet.usageLimit();
	const unwritten = fleet.unwrittenChanges();
	const {sample: _sample, pendingBytes: _pending, ...admission} = fleet.admissionState();
	const byResources = admission.roomFor === undefined ? Number.POSITIVE_INFINITY : workers.length + admission.roomFor;
	const allowed = Math.min(admission.maxWorkers ?? Number.POSITIVE_INFINITY, byResources);
	return {
		workers: {running: workers.length, allowed: Number.isFinite(allowed) ? allowed : workers.length},
		admission,
		queued: counts.queued,
		ready: fleet.queueOrder().length,
		counts,
		costUsd: fleet.totalCostUsd(),
		needsInput: waitingQuestions(fleet, workers),
		...(fleet.hosts.ownId === undefined ? {} : {host: fleet.hosts.ownId}),
		...(backoff ? {backoff: {until: new Date(backoff.until).toISOString(), reason: backoff.reason}} : {}),
		...(unwritten ? {unwritten: {count: unwritten.count, since: new Date(unwritten.since).toISOString(), reason: unwritten.reason}} : {}),
		...(usageLimit
			? {
					usageLimit: {
						state: usageLimit.state,
						...(usageLimit.kind ? {kind: usageLimit.kind} : {}),
						...(usageLimit.resetsAt ? {resetsAt: new Date(usageLimit.resetsAt).toISOString()} : {}),
					},
				}
			: {}),
	};
}

/** This host's workers' questions, then, with several hosts, every other host's: the inbox's list, as one count for the header. */
function waitingQuestions(fleet: Fleet, workers: ReturnType<Fleet['workers']>): FleetCounters['needsInput'] {
	const here = workers.filter(worker => worker.question).map(worker => ({id: worker.taskId, question: worker.question!.question}));
	if (fleet.hosts.ownId === undefined) return here;
	const ids = new Set(here.map(entry => entry.id));
	const elsewhere = fleet.questions().filter(open => open.host !== fleet.hosts.ownId && !ids.has(open.taskId));
	return [...here, ...elsewhere.map(open => ({id: open.taskId, question: open.question.question}))];
}
