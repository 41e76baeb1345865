import type {WorkerProcess} from '../domain/task.js';

export type SystemSample = {
	cpuPercent: number;
	memoryFreeBytes: number;
	memoryTotalBytes: number;
};

/** What the machine and its processes look like. */
export type SystemMonitor = {
	sample(): Promise<SystemSample>;
	/**
	 * Resident memory of each live worker with every process it started, in bytes, by the worker's pid; a worker that
	 * is gone is left out. One look at the process table for all of them.
	 */
	memoryOfWorkers(processes: readonly WorkerProcess[]): Promise<Map<number, number>>;
	/** True only if that pid runs and is the same process (same start time), not a reuse of the pid. */
	isAlive(process: WorkerProcess): boolean;
	/**
	 * Ends what is left of a task's worker from an earlier run of the core: the worker if it still lives (same
	 * pid and start time) and every process it started, politely first.
	 */
	killTree(process: WorkerProcess, taskId: string): Promise<void>;
};
