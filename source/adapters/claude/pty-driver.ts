import type {Logger} from '../../core/ports/logger.js';
import {silentLogger} from '../../core/ports/logger.js';
import type {WorkerDriver, WorkerHandle, WorkerListener, WorkerSpec} from '../../core/ports/worker-driver.js';
import type {HookServer} from './hook-server.js';
import {PtyWorker, type PtyWorkerOptions} from './pty-worker.js';
import {claudeConfigDir, hasTranscript} from './transcript.js';

export type PtyDriverOptions = {
	claudePath: string;
	/** The environment workers start from (cleaned of a parent Claude Code session's markers). */
	env: NodeJS.ProcessEnv;
	hooks: HookServer;
	/** Answer claude's "do you trust this folder?" with yes. The user chose the folder when delegating. */
	trustWorkspace: boolean;
	/** Answer "use the custom API key from the environment?" with yes. */
	approveApiKey: boolean;
	columns?: number;
	rows?: number;
	/** Time between SIGTERM and SIGKILL when a worker is stopped. */
	killGraceMs?: number;
	/** How long a permission question may wait for an answer before claude's own dialog is left to a person. */
	permissionTimeoutSeconds?: number;
	logger?: Logger;
};

/**
 * The interactive claude TUI in a pty, one headless terminal per worker holding its screen. State comes from
 * hooks forwarded over loopback HTTP; the screen is read only for the start-up dialogs hooks cannot see.
 */
export class PtyWorkerDriver implements WorkerDriver {
	readonly #options: PtyWorkerOptions;

	constructor(options: PtyDriverOptions) {
		this.#options = {
			columns: 120,
			rows: 40,
			killGraceMs: 3_000,
			permissionTimeoutSeconds: 24 * 60 * 60,
			logger: silentLogger,
			...options,
		};
	}

	start(spec: WorkerSpec, listener: WorkerListener): WorkerHandle {
		return new PtyWorker(spec, listener, this.#options).handle;
	}

	canResume(spec: {cwd: string; sessionId: string}): boolean {
		return hasTranscript(claudeConfigDir(this.#options.env), spec.cwd, spec.sessionId);
	}
}
