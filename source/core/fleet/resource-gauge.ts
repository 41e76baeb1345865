import type {WorkerMode} from '../domain/task.js';
import type {SystemSample} from '../ports/system-monitor.js';
import type {AdmissionPolicy} from './admission.js';

export type ResourceOptions = {
	/** No worker starts while the machine's CPU load is at or above this, in percent (100: never held by CPU). */
	cpuThresholdPercent: number;
	/** Memory always left free for everything else on the machine, in bytes. */
	memoryReserveBytes: number;
	/** A worker younger than this is still growing: it counts at its expected size, whatever was measured so far. */
	settleMs: number;
	/** What a worker is expected to need before any has been measured, per mode. */
	initialWorkerBytes: Record<WorkerMode, number>;
};

export const DEFAULT_RESOURCE_OPTIONS: ResourceOptions = {
	cpuThresholdPercent: 80,
	memoryReserveBytes: 1024 ** 3,
	settleMs: 10_000,
	// A TUI worker starts near 250 MB and grows; claude -p needs about half (research/claude-cli.md, memory per worker).
	initialWorkerBytes: {pty: 250 * 1024 ** 2, headless: 125 * 1024 ** 2},
};

type Worker = {mode: WorkerMode; startedAt: number; measuredBytes?: number; peakBytes?: number};

/** Peaks of this many recent workers per mode make the expected size. */
const PEAKS_KEPT = 20;

/** What the gauge knows now, for fleet_status and the dashboard. */
export type ResourceView = {
	cpuThresholdPercent: number;
	memoryReserveBytes: number;
	/** What one more worker is expected to need, per mode: learned from running workers once they settle. */
	expectedWorkerBytes: Record<WorkerMode, number>;
	/** The measured memory of every live worker together. */
	workerBytes: number;
	/** Memory counted for workers still starting up, beyond what was measured of them. */
	pendingBytes: number;
	sample?: SystemSample;
};

/**
 * Decides by measurement whether the machine can carry one more worker: its CPU load under the threshold, and its
 * free memory, less the reserve and less what starting workers will still take, covering the next worker's expected
 * size. That size is learned per mode from the measured memory of settled workers, so a burst of starts is held to
 * what fits, and a big server runs as many as it can carry.
 */
export class ResourceGauge {
	readonly #options: ResourceOptions;
	readonly #workers = new Map<string, Worker>();
	/** The peak memory of recent workers that settled or ended, per mode, newest last. */
	readonly #peaks = new Map<WorkerMode, number[]>();
	#sample: SystemSample | undefined;

	constructor(options: ResourceOptions) {
		if (!(options.cpuThresholdPercent > 0 && options.cpuThresholdPercent <= 100)) {
			throw new TypeError(`cpuThresholdPercent must be above 0 and at most 100, got ${options.cpuThresholdPercent}.`);
		}
		if (!(options.memoryReserveBytes >= 0)) throw new TypeError(`memoryReserveBytes must be 0 or more, got ${options.memoryReserveBytes}.`);
		this.#options = options;
	}

	noteSystem(sample: SystemSample): void {
		this.#sample = sample;
	}

	noteStarted(taskId: string, mode: WorkerMode, now: number): void {
		this.#workers.set(taskId, {mode, startedAt: now});
	}

	/** A worker ended: what it needed at most teaches the expected size of its mode. */
	noteEnded(taskId: string): void {
		const worker = this.#workers.get(taskId);
		this.#workers.delete(taskId);
		if (worker?.peakBytes !== undefined) this.#rememberPeak(worker.mode, worker.peakBytes);
	}

	/** Each live worker's measured memory (its process tree), by task id. */
	noteMeasured(bytesByTask: ReadonlyMap<string, number>): void {
		for (const [taskId, bytes] of bytesByTask) {
			const worker = this.#workers.get(taskId);
			if (!worker) continue;
			worker.measuredBytes = bytes;
			worker.peakBytes = Math.max(worker.peakBytes ?? 0, bytes);
		}
	}

	/**
	 * What one more worker of this mode is expected to need: the mean peak of the recent workers that settled or
	 * ended (a worker shrinks near its end, so its peak, not its last size, is what it needed), or the first estimate
	 * until one has. Workers still running count with their peak so far once they settle.
	 */
	expectedBytes(mode: WorkerMode, now?: number): number {
		const peaks = [...(this.#peaks.get(mode) ?? [])];
		if (now !== undefined) {
			for (const worker of this.#workers.values()) {
				if (worker.mode === mode && worker.peakBytes !== undefined && now - worker.startedAt >= this.#options.settleMs) peaks.push(worker.peakBytes);
			}
		}
		if (peaks.length === 0) return this.#options.initialWorkerBytes[mode];
		return Math.round(peaks.reduce((sum, peak) => sum + peak, 0) / peaks.length);
	}

	#rememberPeak(mode: WorkerMode, bytes: number): void {
		const peaks = this.#peaks.get(mode) ?? [];
		peaks.push(bytes);
		if (peaks.length > PEAKS_KEPT) peaks.shift();
		this.#peaks.set(mode, peaks);
	}

	/** What workers still starting up will take beyond what was measured of them. */
	pendingBytes(now: number): number {
		let pending = 0;
		for (const worker of this.#workers.values()) {
			if (now - worker.startedAt < this.#options.settleMs) pending += Math.max(0, this.expectedBytes(worker.mode, now) - (worker.measuredBytes ?? 0));
		}
		return pending;
	}

	/** Memory the next worker may use: free, less the reserve, less what starting workers will still take. */
	headroomBytes(now: number): number | undefined {
		if (!this.#sample) return undefined;
		return this.#sample.memoryFreeBytes - this.#options.memoryReserveBytes - this.pendingBytes(now);
	}

	/** How many more workers of this mode the machine could carry now, by memory alone. */
	roomFor(mode: WorkerMode, now: number): number | undefined {
		const headroom = this.headroomBytes(now);
		return headroom === undefined ? undefined : Math.max(0, Math.floor(headroom / this.expectedBytes(mode, now)));
	}

	/** The CPU and memory policies, for admission. */
	policies(): AdmissionPolicy[] {
		return [
			{
				name: 'cpu',
				check: ({running}) => {
					const cpu = this.#sample?.cpuPercent;
					const threshold = this.#options.cpuThresholdPercent;
					// With nothing running, the load is someone else's: holding would only starve the queue. 100 % means never
					// held for CPU (as the README says), though a saturated machine reports a load of exactly 100.
					if (cpu === undefined || running === 0 || threshold >= 100 || cpu < threshold) return {admit: true};
					return {admit: false, reason: `CPU load ${cpu.toFixed(0)} % is at or above CPU_THRESHOLD ${threshold} %`};
				},
			},
			{
				name: 'memory',
				check: ({now, nextMode}) => {
					const headroom = this.headroomBytes(now);
					const needed = this.expectedBytes(nextMode ?? 'pty', now);
					if (headroom === undefined || headroom >= needed) return {admit: true};
					return {
						admit: false,
						reason: `${megabytes(Math.max(0, headroom))} free above the MEMORY_RESERVE of ${megabytes(this.#options.memoryReserveBytes)}; a ${nextMode ?? 'pty'} worker needs about ${megabytes(needed)}`,
					};
				},
			},
		];
	}

	view(now: number): ResourceView {
		let workerBytes = 0;
		for (const worker of this.#workers.values()) workerBytes += worker.measuredBytes ?? 0;
		return {
			cpuThresholdPercent: this.#options.cpuThresholdPercent,
			memoryReserveBytes: this.#options.memoryReserveBytes,
			expectedWorkerBytes: {pty: this.expectedBytes('pty', now), headless: this.expectedBytes('headless', now)},
			workerBytes,
			pendingBytes: this.pendingBytes(now),
			...(this.#sample ? {sample: this.#sample} : {}),
		};
	}
}

function megabytes(bytes: number): string {
	return `${Math.round(bytes / 1024 ** 2)} MB`;
}
