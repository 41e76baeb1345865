import type {WorkerProcess} from '../../source/core/domain/task.js';
import type {PermissionQuestion, WorkerExit, WorkerListener, WorkerState, WorkerUsage} from '../../source/core/ports/worker-driver.js';

/** A WorkerListener that records everything a driver reports. */
export class RecordingListener implements WorkerListener {
	process?: WorkerProcess;
	states: WorkerState[] = [];
	questions: PermissionQuestion[] = [];
	output = '';
	usage?: WorkerUsage;
	exit?: WorkerExit;

	onSpawned(process: WorkerProcess): void {
		this.process = process;
	}

	onState(state: WorkerState, question?: PermissionQuestion): void {
		this.states.push(state);
		if (question) this.questions.push(question);
	}

	onOutput(text: string): void {
		this.output += text;
	}

	onUsage(usage: WorkerUsage): void {
		this.usage = usage;
	}

	onExit(exit: WorkerExit): void {
		this.exit = exit;
	}

	retries: Array<{delayMs: number; error: string}> = [];

	onRetrying(retry: {delayMs: number; error: string}): void {
		this.retries.push(retry);
	}
}
