import type {WorkerMode} from '../../core/domain/task.js';
import type {WorkerDriver, WorkerHandle, WorkerListener, WorkerSpec} from '../../core/ports/worker-driver.js';

/** One WorkerDriver for the core that hands each task to the driver of its mode. */
export class ModeRoutingDriver implements WorkerDriver {
	constructor(private readonly drivers: Record<WorkerMode, WorkerDriver>) {}

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return this.drivers[spec.mode].start(spec, listener);
	}

	canResume(spec: {cwd: string; sessionId: string}): boolean {
		// Both modes keep the same transcript, so either driver can answer, and a task may resume in the other mode.
		return this.drivers.pty.canResume(spec);
	}
}
