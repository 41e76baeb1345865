import os from 'node:os';
import si from 'systeminformation';
import type {WorkerProcess} from '../../core/domain/task.js';
import type {SystemMonitor, SystemSample} from '../../core/ports/system-monitor.js';
import {isProcessAlive} from './process-info.js';
import {killProcessTree, treeResidentBytes} from './process-tree.js';

/** CPU and memory from systeminformation; processes from /proc. */
export class OsSystemMonitor implements SystemMonitor {
	readonly #warm: Promise<unknown>;

	constructor(private readonly killGraceMs = 3_000) {
		// The first currentLoad() takes about half a second; pay it now, off any caller's path.
		this.#warm = si.currentLoad().catch(() => undefined);
	}

	async sample(): Promise<SystemSample> {
		await this.#warm;
		const [load, memory] = await Promise.all([si.currentLoad(), si.mem()]);
		return {cpuPercent: load.currentLoad, memoryFreeBytes: memory.available, memoryTotalBytes: memory.total ?? os.totalmem()};
	}

	async memoryOfWorkers(processes: readonly WorkerProcess[]): Promise<Map<number, number>> {
		// A pid reused by another process since is not the worker: its start time tells.
		return treeResidentBytes(processes.filter(process => isProcessAlive(process)).map(process => process.pid));
	}

	isAlive(process: WorkerProcess): boolean {
		return isProcessAlive(process);
	}

	async killTree(process: WorkerProcess, taskId: string): Promise<void> {
		await killProcessTree(process, this.killGraceMs, taskId);
	}
}
