/** Time, injected so the core is deterministic under test. */
export type Clock = {
	now(): number;
	/** Runs `fn` after `ms`; returns a function that cancels it. */
	setTimeout(fn: () => void, ms: number): () => void;
};
