/** Fresh identifiers; injected so tests can predict them. */
export type IdSource = {
	/** A short id a person can type: `ccfleet status 7f3a9c`. */
	taskId(): string;
	/** A UUID for `claude --session-id`. */
	sessionId(): string;
};
