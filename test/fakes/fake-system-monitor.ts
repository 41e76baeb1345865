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

	memoryOf(process: WorkerProcess): number | undefined {
		return this.memory.get(process.pid);
	}

	isAlive(process: WorkerProcess): boolean {
		return this.alive.has(process.pid);
	}

	async killTree(process: WorkerProcess, taskId: string): Promise<void> {
		this.killed.push(`${taskId}:${process.pid}`);
		this.alive.delete(process.pid);
	}
}
