/**
 * Which waiting tasks still wait on which dependencies, both ways round, so that the end of a task finds its
 * dependents without a scan. Pure bookkeeping: the fleet decides what an ended dependency means.
 */
export class DependencyTracker {
	readonly #waitingOn = new Map<string, Set<string>>();
	readonly #dependents = new Map<string, Set<string>>();

	/** Starts tracking a task that waits on `unmet` (all not yet ended). */
	track(taskId: string, unmet: Iterable<string>): void {
		const set = new Set(unmet);
		if (set.size === 0) return;
		this.#waitingOn.set(taskId, set);
		for (const dependency of set) {
			let dependents = this.#dependents.get(dependency);
			if (!dependents) this.#dependents.set(dependency, (dependents = new Set()));
			dependents.add(taskId);
		}
	}

	/** Forgets a waiting task (it was cancelled, failed or is about to run). */
	untrack(taskId: string): void {
		for (const dependency of this.#waitingOn.get(taskId) ?? []) {
			const dependents = this.#dependents.get(dependency);
			dependents?.delete(taskId);
			if (dependents?.size === 0) this.#dependents.delete(dependency);
		}
		this.#waitingOn.delete(taskId);
	}

	isWaiting(taskId: string): boolean {
		return this.#waitingOn.has(taskId);
	}

	waitingOn(taskId: string): string[] {
		return [...(this.#waitingOn.get(taskId) ?? [])];
	}

	/**
	 * A dependency ended: it no longer holds anyone up. Returns each task that waited on it with how many
	 * dependencies it still waits on; a task left waiting on none is no longer tracked.
	 */
	resolve(dependency: string): {taskId: string; remaining: number}[] {
		const dependents = this.#dependents.get(dependency);
		this.#dependents.delete(dependency);
		const result: {taskId: string; remaining: number}[] = [];
		for (const taskId of dependents ?? []) {
			const waiting = this.#waitingOn.get(taskId);
			if (!waiting) continue;
			waiting.delete(dependency);
			if (waiting.size === 0) this.#waitingOn.delete(taskId);
			result.push({taskId, remaining: waiting.size});
		}
		return result;
	}
}
