import type {TaskStatus} from './task.js';

// What a person is told when what they ask for is on another host of a shared fleet: a worker's terminal and a
// task's log stay on the host that runs it, so every place that shows them says where that is.

type Placed = {id: string; status: TaskStatus; host?: string};

const isLive = (status: TaskStatus) => status === 'running' || status === 'needs_input';

/** Whether the task is this host's to stop or cancel: every task alone (`thisHost` undefined), those it holds when shared. */
export function isOwnTask(task: Pick<Placed, 'host'>, thisHost: string | undefined): boolean {
	return thisHost === undefined || task.host === thisHost;
}

/** The host other than `thisHost` that holds or ran the task, or undefined (one host, or this host's own task). */
export function otherHost(task: Placed, thisHost: string | undefined): string | undefined {
	return thisHost !== undefined && task.host !== undefined && task.host !== thisHost ? task.host : undefined;
}

/** "Task X runs on host beta: attach there (…)", for a live task of another host; undefined otherwise. */
export function attachElsewhere(task: Placed, thisHost: string | undefined): string | undefined {
	const host = otherHost(task, thisHost);
	if (host === undefined || !isLive(task.status)) return undefined;
	return `Task ${task.id} runs on host ${host}: attach there (ssh ${host}, then ccfleet attach ${task.id}).`;
}

/** "Task X ran on host alpha; its log is there (…)", for a task another host holds or ran; undefined otherwise. */
export function logElsewhere(task: Placed, thisHost: string | undefined): string | undefined {
	const host = otherHost(task, thisHost);
	if (host === undefined) return undefined;
	return `Task ${task.id} ${isLive(task.status) ? 'runs' : 'ran'} on host ${host}; its log is there (ccfleet logs ${task.id} on ${host}).`;
}
