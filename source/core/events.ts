import type {Task, TaskStatus} from './domain/task.js';
import type {PermissionQuestion, WorkerState} from './ports/worker-driver.js';

/** Every event the core emits, with its payload. Names are `noun:verb-past`. */
export type FleetEvents = {
	'task:created': {task: Task};
	/** Any change to a stored task; `previous` is the status before it. */
	'task:updated': {task: Task; previous: TaskStatus};
	'worker:state': {taskId: string; state: WorkerState; question?: PermissionQuestion};
	/** Output arrived; carries no bytes so that subscribers pull (and throttle) on their own. */
	'worker:output': {taskId: string};
	'fleet:error': {message: string; cause?: unknown};
};

export type FleetEventName = keyof FleetEvents;
type Listener<E extends FleetEventName> = (payload: FleetEvents[E]) => void;

/** A small typed event bus. A listener that throws is reported as fleet:error and never breaks the emitter. */
export class EventBus {
	readonly #listeners = new Map<FleetEventName, Set<Listener<never>>>();

	on<E extends FleetEventName>(event: E, listener: Listener<E>): () => void {
		let set = this.#listeners.get(event);
		if (!set) {
			set = new Set();
			this.#listeners.set(event, set);
		}
		set.add(listener as Listener<never>);
		return () => set.delete(listener as Listener<never>);
	}

	emit<E extends FleetEventName>(event: E, payload: FleetEvents[E]): void {
		const set = this.#listeners.get(event);
		if (!set) return;
		for (const listener of [...set]) {
			try {
				(listener as Listener<E>)(payload);
			} catch (error) {
				if (event === 'fleet:error') continue;
				this.emit('fleet:error', {message: `A ${event} listener failed: ${String(error)}`, cause: error});
			}
		}
	}
}
