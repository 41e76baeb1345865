import {InvalidInputError} from './errors.js';
import {parseTaskSpec, type TaskSpec} from './task-spec.js';

/** Every task a task waits for: its dependsOn and its continueFrom. */
export function dependenciesOf(task: {dependsOn?: string[] | undefined; continueFrom?: string | undefined}): string[] {
	return [...new Set([...(task.dependsOn ?? []), ...(task.continueFrom ? [task.continueFrom] : [])])];
}

/**
 * Reads a task's spec and checks what the schema alone cannot: a prompt with more than blanks, an absolute directory,
 * a merge strategy only with a worktree, a base branch and a verify command only with a merge that uses them. Throws InvalidInputError naming the first field that cannot be accepted, and
 * what would be. Dependencies are not looked up here (a schedule's template names them before they matter).
 */
export function checkTaskSpec(input: unknown, options: {maxPromptChars?: number} = {}): TaskSpec {
	if (typeof input === 'object' && input !== null && typeof (input as {prompt?: unknown}).prompt === 'string' && (input as {prompt: string}).prompt.trim() === '') {
		throw new InvalidInputError('The prompt is empty. Give the task something to do.');
	}
	const spec = parseTaskSpec(input);
	if (options.maxPromptChars !== undefined && spec.prompt.length > options.maxPromptChars) {
		throw new InvalidInputError(`The prompt has ${spec.prompt.length} characters; at most ${options.maxPromptChars} are accepted.`);
	}
	if (!spec.cwd.startsWith('/')) {
		throw new InvalidInputError(`The working directory (cwd) must be an absolute path, got ${JSON.stringify(spec.cwd)}.`);
	}
	if (spec.mergeStrategy !== undefined && spec.isolation !== 'worktree') {
		throw new InvalidInputError('A merge strategy applies only with isolation "worktree"; add it, or leave the merge strategy out.');
	}
	if (spec.base !== undefined && spec.mergeStrategy !== 'auto' && spec.mergeStrategy !== 'pr') {
		throw new InvalidInputError('A base branch applies only to merge strategy auto or pr (isolation "worktree"); add one, or leave the base out.');
	}
	if (spec.verify !== undefined && spec.mergeStrategy !== 'auto') {
		throw new InvalidInputError('A verify command applies only to merge strategy auto (it decides whether the work lands); add it, or leave verify out.');
	}
	return spec;
}

/** checkTaskSpec, and every dependency must be a known task. */
export function validateTaskInput(input: unknown, options: {maxPromptChars: number; isKnownTask: (id: string) => boolean}): TaskSpec {
	const spec = checkTaskSpec(input, options);
	for (const id of dependenciesOf(spec)) {
		if (!options.isKnownTask(id)) {
			throw new InvalidInputError(`The dependency "${id}" is not a known task. Depend on tasks that exist (see \`ccfleet status\`).`);
		}
	}
	return spec;
}
