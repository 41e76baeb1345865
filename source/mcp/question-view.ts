import type {Fleet} from '../core/fleet.js';
import type {QuestionView} from '../protocol/tool-results.js';

/** Lines of a worker's output shown with its question: enough to see what it was doing. */
const CONTEXT_LINES = 8;
const PROMPT_CHARS = 120;

/** Every question waiting for an answer, oldest first, with its task, directory and the last lines before it. */
export function questionViews(fleet: Fleet, now = Date.now()): QuestionView[] {
	return fleet.questions().map(({taskId, question, askedAt}) => {
		const task = fleet.get(taskId);
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
			context: fleet
				.logs(taskId, {tailLines: CONTEXT_LINES + 2})
				.text.split('\n')
				.filter(line => line.trim() !== '')
				.slice(-CONTEXT_LINES),
		};
	});
}
