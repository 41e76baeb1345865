import type {Task} from './task.js';

/**
 * What a workflow step is told before its own prompt: which workflow and step it is, and for every step it depends
 * on (not only one, as continueFrom gives) that step's checkpoint: its result, the git state it left, the last lines
 * of its output. A step with no dependencies is told only where it stands.
 */
export function workflowPreamble(task: Pick<Task, 'role' | 'workflow'>, dependencies: readonly Task[]): string {
	const workflow = task.workflow;
	if (!workflow) return '';
	const role = task.role ? ` (${task.role})` : '';
	const parts = [`You are step "${workflow.step}"${role} of the workflow "${workflow.name}" (${workflow.id}).`];
	if (dependencies.length > 0) parts.push(`The step${dependencies.length === 1 ? '' : 's'} before you left this:`);
	for (const dependency of dependencies) parts.push(dependencyReport(dependency));
	return `${parts.join('\n\n')}\n\n---\n\n`;
}

/** One dependency's checkpoint, under a heading that names its step and task. */
function dependencyReport(dependency: Task): string {
	const name = dependency.workflow ? `Step "${dependency.workflow.step}"${dependency.role ? ` (${dependency.role})` : ''}` : 'Task';
	const outcome = dependency.status === 'completed' ? 'completed' : `ended ${dependency.status}${dependency.failureReason ? `: ${dependency.failureReason}` : ''}`;
	const lines = [`## ${name}, task ${dependency.id}, ${outcome}`];
	const checkpoint = dependency.checkpoint;
	const result = checkpoint?.result ?? dependency.result;
	if (result) lines.push(`Its result:\n${result}`);
	if (checkpoint?.git) {
		const {branch, sha, dirtyFiles} = checkpoint.git;
		lines.push(
			`The repository was then on branch ${branch} at ${sha}, with ${dirtyFiles.length ? `uncommitted changes in ${dirtyFiles.join(', ')}` : 'no uncommitted changes'}.`,
		);
	}
	if (checkpoint?.outputTail.length) lines.push(`The last lines of its output:\n${checkpoint.outputTail.join('\n')}`);
	return lines.join('\n\n');
}
