import type {DagNode} from './dag-layout.js';
import type {DashboardTask} from './fleet-source.js';

/** A family larger than this is cut (breadth first from the selected task): the pane could not show it anyway. */
export const MAX_FAMILY = 200;

export type Family = {
	/** The members found, the selected task first, then breadth first. */
	members: DashboardTask[];
	/** Ids a member depends on that neither the snapshot nor the fetched extras hold. */
	missing: string[];
};

/** What a task waits for: its dependencies and the task it continues from, once each. */
export function parentsOf(task: DashboardTask): string[] {
	const parents = [...(task.dependsOn ?? [])];
	if (task.continueFrom && !parents.includes(task.continueFrom)) parents.push(task.continueFrom);
	return parents;
}

/**
 * The connected component of `id` through dependsOn and continueFrom, followed both ways. Dependents are found
 * among the known tasks only (no tool lists a task's dependents); dependencies that are not known are `missing`,
 * for the fleet sync to fetch by id.
 */
export function familyOf(tasks: readonly DashboardTask[], extras: Readonly<Record<string, DashboardTask>>, id: string | undefined): Family {
	if (id === undefined) return {members: [], missing: []};
	const byId = new Map<string, DashboardTask>(Object.entries(extras));
	for (const task of tasks) byId.set(task.id, task);
	const children = new Map<string, string[]>();
	for (const task of byId.values()) {
		for (const parent of parentsOf(task)) children.set(parent, [...(children.get(parent) ?? []), task.id]);
	}
	const members: DashboardTask[] = [];
	const missing: string[] = [];
	const seen = new Set([id]);
	const queue = [id];
	while (queue.length > 0 && members.length < MAX_FAMILY) {
		const current = queue.shift()!;
		const task = byId.get(current);
		if (!task) {
			missing.push(current);
			continue;
		}
		members.push(task);
		for (const next of [...parentsOf(task), ...(children.get(current) ?? [])]) {
			if (seen.has(next)) continue;
			seen.add(next);
			queue.push(next);
		}
	}
	return {members, missing};
}

/**
 * The family as the layout takes it, oldest first, so the drawing stays put when the selection moves within it. A
 * workflow's step is labelled by its step and role: its prompt repeats the workflow's goal in every step.
 */
export function familyNodes(members: readonly DashboardTask[]): DagNode[] {
	return [...members]
		.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : 1))
		.map(task => ({id: task.id, status: task.status, parents: parentsOf(task), label: task.workflow ? `${task.workflow.step} (${task.role ?? 'no role'})` : task.prompt}));
}
