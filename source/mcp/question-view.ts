import {TaskNotFoundError} from '../core/domain/errors.js';
import type {Task} from '../core/domain/task.js';
import type {Fleet} from '../core/fleet.js';
import type {QuestionView} from '../protocol/tool-results.js';

/** Lines of a worker's output shown with its question: enough to see what it was doing. */
const CONTEXT_LINES = 8;
const PROMPT_CHARS = 120;

/** Every question waiting for an answer, oldest first, with its task, directory and the last lines before it. */
export function questionViews(fleet: Fleet, now = Date.now()): QuestionView[] {
	return fleet.questions().flatMap(({taskId, question, askedAt, host, context}) => {
		// Another host's question can arrive before the task it belongs to; it is listed once this host has both.
		const task = known(fleet, taskId);
		if (!task) return [];
		const firstLine = task.prompt.split('\n', 1)[0]!.trim();
		return {
			taskId,
			cwd: task.cwd,
			prompt: firstLine.length > PROMPT_CHARS ? `${firstLine.slice(0, PROMPT_CHARS)}…` : firstLine,
			toolName: question.toolName,
			toolInput: question.toolInput,
			question: question.question,
			askedAt: new Date(askedAt).toISOString(),
			waitingMs: Math.max(0, now - askedAt),
			// Another host's worker wrote its log there: its host sent the last lines with the question.
			context:
				context ??
				fleet
					.logs(taskId, {tailLines: CONTEXT_LINES + 2})
					.text.split('\n')
					.filter(line => line.trim() !== '')
					.slice(-CONTEXT_LINES),
			...(host === undefined ? {} : {host}),
		};
	});
}

function known(fleet: Fleet, id: string): Task | undefined {
	try {
		return fleet.get(id);
	} catch (error) {
		if (error instanceof TaskNotFoundError) return undefined;
		throw error;
	}
}
