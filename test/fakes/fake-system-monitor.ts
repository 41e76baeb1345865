import type {WorkerProcess} from '../../source/core/domain/task.js';
import type {SystemMonitor, SystemSample} from '../../source/core/ports/system-monitor.js';

export class FakeSystemMonitor implements SystemMonitor {
	readonly alive = new Set<number>();
	readonly killed: number[] = [];
	sampleValue: SystemSample = {cpuPercent: 10, memoryFreeBytes: 8e9, memoryTotalBytes: 16e9};

	async sample(): Promise<SystemSample> {
		return this.sampleValue;
	}

	isAlive(process: WorkerProcess): boolean {
		return this.alive.has(process.pid);
	}

	async killTree(process: WorkerProcess): Promise<void> {
		this.killed.push(process.pid);
		this.alive.delete(process.pid);
	}
}
