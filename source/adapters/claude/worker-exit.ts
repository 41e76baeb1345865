import os from 'node:os';
import type {UsageLimitReport, WorkerExit} from '../../core/ports/worker-driver.js';

/** API errors that pass by themselves (claude's own names for them), so a task that met one is worth another try. */
const TRANSIENT_API_ERRORS: ReadonlySet<string> = new Set(['rate_limit', 'overloaded', 'server_error']);

/** How the process ended: a code, or the name of the signal that ended it. */
export type ProcessEnd = {exitCode: number | null; signal: string | null};

/**
 * What a worker's turn came to, gathered while claude reports it, and the WorkerExit it makes once the process
 * is gone. Only a finished turn is a result: an exit without one is a failure even with code 0, and a signal is
 * always a failure.
 */
export class TurnOutcome {
	#result: string | undefined;
	#error: string | undefined;
	#apiError: string | undefined;
	#usageLimit: UsageLimitReport | undefined;

	/** The turn ended with claude's answer; an error met on the way no longer counts. */
	finished(result: string): void {
		this.#result = result;
		this.#error = undefined;
		this.#usageLimit = undefined;
	}

	/** The account's usage limit refused a request; a later report that requests pass again lifts it. */
	metUsageLimit(report: UsageLimitReport): void {
		this.#usageLimit = report.status === 'rejected' ? report : undefined;
	}

	/** The turn failed; `apiError` is claude's name for the API error behind it, if one was. */
	failed(reason: string, apiError?: string): void {
		this.#error = reason;
		if (apiError !== undefined) this.#apiError = apiError;
	}

	/** claude met an API error (it may still retry and finish); it makes a failure transient or not. */
	metApiError(kind: string): void {
		this.#apiError = kind;
	}

	/** `lastWords` explains an exit without a result or a known reason, from what the worker showed last. */
	exit(end: ProcessEnd, lastWords: () => string | undefined): WorkerExit {
		const exit: WorkerExit = end.signal ? {exitCode: null, signal: end.signal} : {exitCode: end.exitCode, signal: null};
		if (this.#result !== undefined) exit.result = this.#result;
		const error = this.#error ?? (this.#result === undefined && !end.signal ? lastWords() : undefined);
		if (error) exit.error = error;
		// A usage limit is not worth an early retry: every request fails until its reset.
		if (this.#result === undefined && this.#usageLimit) exit.usageLimit = this.#usageLimit;
		else if (this.#result === undefined && this.#apiError !== undefined && TRANSIENT_API_ERRORS.has(this.#apiError)) exit.transient = true;
		return exit;
	}
}

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, number]) => [number, name]));

/** `SIGTERM` for 15; node-pty reports signals by number. */
export function signalName(signal: number): string {
	return SIGNAL_NAMES.get(signal) ?? `signal ${signal}`;
}
