/**
 * The merge queue: work lands on a repository one task at a time, in the order the tasks reach it. A task's
 * dependents start only after it has landed (the finisher settles it first), so dependency order holds as well; after
 * a restart the unsettled tasks are handed in dependency order, then by when they ended. One landing failing does not
 * stop the ones after it.
 */
export class LandingQueue {
	readonly #tails = new Map<string, Promise<unknown>>();
	readonly #waiting = new Map<string, number>();

	/** Runs `land` once every landing handed in earlier for the same repository has finished. */
	run<T>(repoRoot: string, land: () => Promise<T>): Promise<T> {
		const before = this.#tails.get(repoRoot) ?? Promise.resolve();
		this.#waiting.set(repoRoot, (this.#waiting.get(repoRoot) ?? 0) + 1);
		const turn = before.then(land, land).finally(() => {
			const left = (this.#waiting.get(repoRoot) ?? 1) - 1;
			if (left === 0) {
				this.#waiting.delete(repoRoot);
				// Nothing after it: forget the chain, so a quiet repository holds nothing.
				if (this.#tails.get(repoRoot) === guarded) this.#tails.delete(repoRoot);
			} else this.#waiting.set(repoRoot, left);
		});
		// The chain continues whether this landing succeeded or not.
		const guarded = turn.catch(() => undefined);
		this.#tails.set(repoRoot, guarded);
		return turn;
	}

	/** Landings handed in and not finished, for one repository or all. */
	waiting(repoRoot?: string): number {
		if (repoRoot !== undefined) return this.#waiting.get(repoRoot) ?? 0;
		let total = 0;
		for (const count of this.#waiting.values()) total += count;
		return total;
	}
}
