import type {WorkerProcess} from '../../source/core/domain/task.js';
import type {SystemMonitor, SystemSample} from '../../source/core/ports/system-monitor.js';

export class FakeSystemMonitor implements SystemMonitor {
	readonly alive = new Set<number>();
	readonly killed: string[] = [];
	sampleValue: SystemSample = {cpuPercent: 10, memoryFreeBytes: 8e9, memoryTotalBytes: 16e9};

	async sample(): Promise<SystemSample> {
		return this.sampleValue;
	}

	readonly memory = new Map<number, number>();

	/** How many times the fleet looked at its workers' memory. */
	memorySamples = 0;

	async memoryOfWorkers(processes: readonly WorkerProcess[]): Promise<Map<number, number>> {
		this.memorySamples++;
		const found = new Map<number, number>();
		for (const {pid} of processes) {
			const bytes = this.memory.get(pid);
			if (bytes !== undefined) found.set(pid, bytes);
		}
		return found;
	}

	isAlive(process: WorkerProcess): boolean {
		return this.alive.has(process.pid);
	}

	async killTree(process: WorkerProcess, taskId: string): Promise<void> {
		this.killed.push(`${taskId}:${process.pid}`);
		this.alive.delete(process.pid);
	}
}
