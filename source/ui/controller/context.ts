import type {ActionResults} from '../fleet-sync.js';
import type {DashboardTask, FleetSource} from '../fleet-source.js';
import {upsertSchedule, upsertTask} from '../store-intake.js';
import {selectedTask, setStatus, type DashboardStore} from '../store.js';
import {messageOf} from '../../core/domain/errors.js';

/** How the person left: with the running workers stopped, or left running in the background core. */
export type QuitChoice = 'stop' | 'leave';

export type ControllerDeps = {
	store: DashboardStore;
	source: FleetSource;
	/** Ends the dashboard. */
	exit: (choice: QuitChoice) => void;
	/** Hands the terminal to a worker's own screen; the dashboard comes back after Ctrl-]. */
	attach?: (taskId: string) => void;
	/** Where actions' answers go: in order with what the core pushes. Default: straight into the store. */
	results?: ActionResults;
	/** The directory a new task gets unless the person types another. */
	defaultCwd: string;
	/** For `~` in a typed directory. */
	homeDirectory?: string;
};

/** What every part of the controller works with. */
export type ControllerContext = {
	store: DashboardStore;
	source: FleetSource;
	deps: ControllerDeps;
	results: ActionResults;
	/** Runs an action against the fleet; a refusal or failure ends in the status bar, never in an exception. */
	act(what: () => Promise<void>): Promise<void>;
	/** The selected task, or undefined after saying in the status bar what to select first. */
	requireSelected(verb: string): DashboardTask | undefined;
};

export function createControllerContext(deps: ControllerDeps): ControllerContext {
	const {store} = deps;
	return {
		store,
		source: deps.source,
		deps,
		results: deps.results ?? {task: task => upsertTask(store, task), schedule: schedule => upsertSchedule(store, schedule), changed() {}},
		async act(what) {
			try {
				await what();
			} catch (error) {
				setStatus(store, messageOf(error), 'error');
			}
		},
		requireSelected(verb) {
			const task = selectedTask(store.getState());
			if (!task) setStatus(store, `Select a task to ${verb} first.`, 'error');
			return task;
		},
	};
}
