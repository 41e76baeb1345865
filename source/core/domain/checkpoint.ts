import type {Checkpoint, Task} from './task.js';

/** Lines of output a checkpoint keeps. */
export const CHECKPOINT_OUTPUT_LINES = 50;

/** What a task ending leaves for the tasks after it. */
export function takeCheckpoint(task: Task, now: number, output: string, git: Checkpoint['git']): Checkpoint {
	const lines = output.replace(/\n$/, '').split('\n');
	return {
		takenAt: now,
		...(git ? {git} : {}),
		outputTail: output ? lines.slice(-CHECKPOINT_OUTPUT_LINES) : [],
		...(task.result !== undefined ? {result: task.result} : {}),
		sessionId: task.sessionId,
	};
}

/** The text that puts a finished task's checkpoint in front of a task that continues from it. */
export function continuationPreamble(from: Task): string {
	const checkpoint = from.checkpoint;
	const parts = [`This task continues from task ${from.id}, which ${from.status === 'completed' ? 'completed' : `ended ${from.status}`}. Its prompt was:\n${from.prompt}`];
	const result = checkpoint?.result ?? from.result;
	if (result) parts.push(`Its result:\n${result}`);
	if (checkpoint?.git) {
		const dirty = checkpoint.git.dirtyFiles.length ? `uncommitted changes in ${checkpoint.git.dirtyFiles.join(', ')}` : 'no uncommitted changes';
		parts.push(`The repository was then on branch ${checkpoint.git.branch} at ${checkpoint.git.sha}, with ${dirty}.`);
	}
	if (from.merge) parts.push(`Its changes: ${from.merge.summary}`);
	if (checkpoint?.outputTail.length) parts.push(`The last lines of its output:\n${checkpoint.outputTail.join('\n')}`);
	return `${parts.join('\n\n')}\n\n---\n\n`;
}

/** The note a task that runs despite a failed dependency (onDependencyFailure: run) gets before its prompt. */
export function failedDependenciesNote(failed: Task[]): string {
	const lines = failed.map(task => `- ${task.id} ended ${task.status}${task.failureReason ? `: ${task.failureReason}` : ''}`);
	return `Note: these tasks this one depends on did not complete:\n${lines.join('\n')}\nProceed knowing that.\n\n---\n\n`;
}
