import {InvalidInputError} from '../domain/errors.js';
import type {TaskSpec} from '../domain/task-spec.js';

/** A host as placement sees it: its id and labels (CCFLEET_HOST_ID, CCFLEET_HOST_LABELS). */
export type HostIdentity = {id: string; labels: readonly string[]};

/** Whether a host may run a task pinned by `host` and `label` (both must hold when both are set). */
export function fitsHost(pin: Pick<TaskSpec, 'host' | 'label'>, host: HostIdentity | undefined): boolean {
	if (pin.host !== undefined && pin.host !== host?.id) return false;
	return pin.label === undefined || (host?.labels.includes(pin.label) ?? false);
}

/** "host c", "label gpu", "host c with label gpu": what a pin asks for, for a person. */
export function describePin(pin: Pick<TaskSpec, 'host' | 'label'>): string | undefined {
	if (pin.host !== undefined && pin.label !== undefined) return `host ${pin.host} with label ${pin.label}`;
	if (pin.host !== undefined) return `host ${pin.host}`;
	return pin.label === undefined ? undefined : `a host with label ${pin.label}`;
}

/**
 * On one host (no shared store), a task pinned where this host does not fit could never start: refused at submit,
 * naming this host's id and labels and what to do instead.
 */
export function checkPlacement(pin: Pick<TaskSpec, 'host' | 'label'>, host: HostIdentity | undefined): void {
	if (fitsHost(pin, host)) return;
	const self = host ? `host ${host.id}, labels ${host.labels.length > 0 ? host.labels.join(', ') : 'none'}` : 'a host with no id or labels';
	throw new InvalidInputError(
		`This task asks for ${describePin(pin)!}, but this ccfleet runs alone on ${self}, so it could never start. ` +
			'Leave out host and label, set CCFLEET_HOST_ID / CCFLEET_HOST_LABELS to match, or share the fleet with that host through CCFLEET_DATABASE_URL.',
	);
}

/** A host of a shared fleet as placement judges it: its labels, its last heartbeat (epoch ms), whether it stopped. */
export type SeenHost = HostIdentity & {heartbeatAt: number; stoppedAt?: number};

/** A host is live while it has not stopped and its last heartbeat is no older than the lease. */
export function isLiveHost(host: Pick<SeenHost, 'heartbeatAt' | 'stoppedAt'>, now: number, leaseMs: number): boolean {
	return host.stoppedAt === undefined && now - host.heartbeatAt <= leaseMs;
}

/**
 * What a queued pinned task waits for when no live host may take it ("a host with label gpu"), or undefined when one
 * may (or it has no pin).
 */
export function unplaceable(pin: Pick<TaskSpec, 'host' | 'label'>, hosts: readonly SeenHost[], now: number, leaseMs: number): string | undefined {
	if (pin.host === undefined && pin.label === undefined) return undefined;
	const live = hosts.filter(host => isLiveHost(host, now, leaseMs));
	return live.some(host => fitsHost(pin, host)) ? undefined : describePin(pin);
}
