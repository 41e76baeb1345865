import type {WorkerProcess} from '../../source/core/domain/task.js';
import type {PermissionDecision, WorkerDriver, WorkerExit, WorkerHandle, WorkerListener, WorkerSpec} from '../../source/core/ports/worker-driver.js';

/** One worker the fake driver started; the test plays claude through it. */
export class FakeWorker {
	stopReasons: string[] = [];
	answers: PermissionDecision[] = [];
	written: string[] = [];
	exited = false;

	constructor(
		readonly spec: WorkerSpec,
		readonly listener: WorkerListener,
		readonly process: WorkerProcess,
	) {}

	finish(result: string): void {
		this.listener.onState('idle');
		this.exit({exitCode: 0, signal: null, result});
	}

	exit(exit: WorkerExit): void {
		if (this.exited) return;
		this.exited = true;
		this.listener.onExit(exit);
	}
}

/** A WorkerDriver under the test's control: nothing runs until the test says so. */
export class FakeWorkerDriver implements WorkerDriver {
	readonly started: FakeWorker[] = [];
	readonly resumable = new Set<string>();
	#nextPid = 1000;
	/** What stop() does; by default the worker dies of SIGTERM at once. */
	onStop: (worker: FakeWorker, reason: string) => void = worker => worker.exit({exitCode: null, signal: 'SIGTERM'});
	failStartWith?: Error;

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		if (this.failStartWith) throw this.failStartWith;
		const worker = new FakeWorker(spec, listener, {pid: this.#nextPid++, startTime: 42});
		this.started.push(worker);
		listener.onSpawned(worker.process);
		listener.onState('busy');
		return {
			stop: async reason => {
				worker.stopReasons.push(reason);
				this.onStop(worker, reason);
			},
			screen: () => [`screen of ${spec.taskId}`],
			answer: decision => {
				worker.answers.push(decision);
				return true;
			},
			write: data => {
				worker.written.push(data);
			},
		};
	}

	canResume(spec: {sessionId: string}): boolean {
		return this.resumable.has(spec.sessionId);
	}

	worker(taskId: string): FakeWorker {
		const worker = this.started.findLast(w => w.spec.taskId === taskId);
		if (!worker) throw new Error(`no worker was started for ${taskId}`);
		return worker;
	}
}
