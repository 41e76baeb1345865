import type {WorkerProcess} from '../domain/task.js';

export type SystemSample = {
	cpuPercent: number;
	memoryFreeBytes: number;
	memoryTotalBytes: number;
};

/** What the machine and its processes look like. */
export type SystemMonitor = {
	sample(): Promise<SystemSample>;
	/** True only if that pid runs and is the same process (same start time), not a reuse of the pid. */
	isAlive(process: WorkerProcess): boolean;
	/** Ends a worker left over from an earlier run of the core: its whole process group, polite first. */
	killTree(process: WorkerProcess): Promise<void>;
};
