/** Base of every error ccfleet raises on purpose; `message` always says what to do next. */
export class FleetError extends Error {
	constructor(message: string, options?: ErrorOptions) {
		super(message, options);
		this.name = this.constructor.name;
	}
}

/** The message of anything thrown: an Error's own message, a plain object as JSON, anything else as a string. */
export function messageOf(error: unknown): string {
	if (error instanceof Error) return error.message;
	if (typeof error !== 'object' || error === null) return String(error);
	// A thrown plain object says more as JSON than as [object Object].
	try {
		const json = JSON.stringify(error);
		if (json !== undefined) return json;
	} catch {
		// A circular object: its type is all there is to say.
	}
	return Object.prototype.toString.call(error);
}

export class IllegalTransitionError extends FleetError {
	constructor(
		readonly taskId: string,
		readonly from: string,
		readonly to: string,
	) {
		super(`Task ${taskId} cannot go from ${from} to ${to}.`);
	}
}

export class TaskNotFoundError extends FleetError {
	constructor(readonly taskId: string) {
		super(`No task with id "${taskId}". List the known tasks with \`ccfleet status\` (or the task_status tool without an id).`);
	}
}

/** Input a user or a client sent that cannot be accepted; the message names the field and what is allowed. */
export class InvalidInputError extends FleetError {}

/** The fleet is stopping or stopped and takes no more work. */
export class FleetStoppedError extends FleetError {
	constructor() {
		super('The fleet is shutting down and accepts no new work. Start it again (`ccfleet --daemon`) and retry.');
	}
}
