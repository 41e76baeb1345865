/** What becomes of a question nobody answered within CCFLEET_ASK_TIMEOUT: denied (the worker is told why), or it waits on. */
export const ASK_TIMEOUT_ANSWERS = ['deny', 'wait'] as const;
export type AskTimeoutAnswer = (typeof ASK_TIMEOUT_ANSWERS)[number];

export type AskOptions = {
	/** A question left this long is announced (question:unanswered) so someone is told; 0 turns that off. */
	notifyAfterMs: number;
	/** After this long its configured answer applies; undefined: it waits for as long as it takes. */
	timeoutMs: number | undefined;
	timeoutAnswer: AskTimeoutAnswer;
};

export const DEFAULT_ASK_OPTIONS: AskOptions = {notifyAfterMs: 2 * 60_000, timeoutMs: undefined, timeoutAnswer: 'deny'};
