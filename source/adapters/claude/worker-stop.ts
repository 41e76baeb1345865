import type {Logger} from '../../core/ports/logger.js';
import {killProcessTree} from '../system/process-tree.js';

type StopTarget = {
	taskId: string;
	/** Undefined when the process never started. */
	pid: number | undefined;
	/** Settles once the driver has seen the process end (and reported its exit). */
	exited: Promise<unknown>;
	hasExited(): boolean;
	killGraceMs: number;
	logger: Logger;
};

/**
 * A worker handle's stop(): ends the worker's whole process tree once however often it is called, and resolves
 * only when the driver has seen the process end.
 */
export class WorkerStopper {
	readonly #target: StopTarget;
	#stopping: Promise<void> | undefined;

	constructor(target: StopTarget) {
		this.#target = target;
	}

	get isStopping(): boolean {
		return this.#stopping !== undefined;
	}

	async stop(reason: string): Promise<void> {
		const target = this.#target;
		if (target.hasExited()) return;
		this.#stopping ??= (async () => {
			target.logger.info('stopping worker', {taskId: target.taskId, reason});
			if (target.pid !== undefined) await killProcessTree({pid: target.pid}, target.killGraceMs, target.taskId);
			await target.exited;
		})();
		await this.#stopping;
	}
}
