import type {FleetSettings} from './domain/fleet-settings.js';
import type {Schedule, ScheduleRun} from './domain/schedule.js';
import type {Task, TaskStatus} from './domain/task.js';
import type {PermissionQuestion, WorkerState} from './ports/worker-driver.js';

/** A task change another host of a shared fleet made: that host tells its own users of it (notifications). */
export type RemoteChange = {host?: string};

/** Every event the core emits, with its payload. Names are `noun:verb-past`. */
export type FleetEvents = {
	/** `remote`: made by another host of a shared fleet (`host`: the one that holds the task or ran it, when any does). */
	'task:created': {task: Task; remote?: RemoteChange};
	/** Any change to a stored task; `previous` is the status before it. */
	'task:updated': {task: Task; previous: TaskStatus; remote?: RemoteChange};
	'worker:state': {taskId: string; state: WorkerState; question?: PermissionQuestion};
	/** A permission question has waited this long for an answer (CCFLEET_ASK_NOTIFY_AFTER): someone should be told. */
	'question:unanswered': {taskId: string; question: PermissionQuestion; waitingMs: number};
	/** Output arrived; carries no bytes so that subscribers pull (and throttle) on their own. */
	'worker:output': {taskId: string};
	'fleet:error': {message: string; cause?: unknown};
	/** Its settings changed while it runs (configure_fleet, `ccfleet configure`). */
	'fleet:configured': {settings: FleetSettings};
	/**
	 * The fleet stopped starting work for the account's usage limit or the daily budget (`policy`, admission's name for
	 * it); emitted once when the hold begins, not again until it was lifted. `until` is when it lifts by itself (epoch ms).
	 */
	'fleet:held': {policy: string; reason: string; until?: number};
};

export type FleetEventName = keyof FleetEvents;

/** Every event the scheduler emits, each after the change is stored. */
export type ScheduleEvents = {
	/** A schedule was stored for the first time (created, or a step of a new pipeline). */
	'schedule:created': {schedule: Schedule};
	/** Any later change to a stored schedule: paused, resumed, cancelled, fired (its next time moved on), completed. */
	'schedule:updated': {schedule: Schedule};
	/** A run was recorded (fired, skipped, missed) or settled (its task ended). */
	'schedule:run-recorded': {run: ScheduleRun};
};

type Listener<Payload> = (payload: Payload) => void;

/**
 * A small typed event bus over an event map (the fleet's by default). A listener that throws never breaks the emitter
 * and is reported: to `reportListenerError` when given, else as the bus's own fleet:error.
 */
export class EventBus<Events extends object = FleetEvents> {
	readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
	readonly #reportListenerError: ((message: string, cause: unknown) => void) | undefined;

	constructor(reportListenerError?: (message: string, cause: unknown) => void) {
		this.#reportListenerError = reportListenerError;
	}

	on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
		let set = this.#listeners.get(event);
		if (!set) {
			set = new Set();
			this.#listeners.set(event, set);
		}
		set.add(listener);
		return () => set.delete(listener);
	}

	emit<E extends keyof Events>(event: E, payload: Events[E]): void {
		const set = this.#listeners.get(event);
		if (!set) return;
		for (const listener of [...set]) {
			try {
				(listener as Listener<Events[E]>)(payload);
			} catch (error) {
				const message = `A ${String(event)} listener failed: ${String(error)}`;
				if (this.#reportListenerError) this.#reportListenerError(message, error);
				else if (event !== 'fleet:error') (this as unknown as EventBus<FleetEvents>).emit('fleet:error', {message, cause: error});
			}
		}
	}
}
