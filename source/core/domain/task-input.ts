import {InvalidInputError} from './errors.js';
import {ROLE_NAMES} from './roles.js';
import {MERGE_STRATEGIES} from '../ports/workspace.js';
import {DEPENDENCY_FAILURE_POLICIES, ISOLATIONS, PERMISSION_MODES, PRIORITIES, WORKER_MODES, type NewTaskInput} from './task.js';

/** Every task a task waits for: its dependsOn and its continueFrom. */
export function dependenciesOf(task: {dependsOn?: string[]; continueFrom?: string}): string[] {
	return [...new Set([...(task.dependsOn ?? []), ...(task.continueFrom ? [task.continueFrom] : [])])];
}

/** Throws InvalidInputError naming the first field of a new task that cannot be accepted, and what would be. */
export function validateTaskInput(input: NewTaskInput, options: {maxPromptChars: number; isKnownTask: (id: string) => boolean}): void {
	if (typeof input.prompt !== 'string' || input.prompt.trim() === '') {
		throw new InvalidInputError('The prompt is empty. Give the task something to do.');
	}
	if (input.prompt.length > options.maxPromptChars) {
		throw new InvalidInputError(`The prompt has ${input.prompt.length} characters; at most ${options.maxPromptChars} are accepted.`);
	}
	if (typeof input.cwd !== 'string' || !input.cwd.startsWith('/')) {
		throw new InvalidInputError(`The working directory must be an absolute path, got ${JSON.stringify(input.cwd)}.`);
	}
	if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) {
		throw new InvalidInputError(`Unknown priority ${JSON.stringify(input.priority)}; use one of ${PRIORITIES.join(', ')}.`);
	}
	if (input.mode !== undefined && !WORKER_MODES.includes(input.mode)) {
		throw new InvalidInputError(`Unknown worker mode ${JSON.stringify(input.mode)}; use one of ${WORKER_MODES.join(', ')}.`);
	}
	if (input.permissionMode !== undefined && !PERMISSION_MODES.includes(input.permissionMode)) {
		throw new InvalidInputError(`Unknown permission mode ${JSON.stringify(input.permissionMode)}; use one of ${PERMISSION_MODES.join(', ')}.`);
	}
	if (input.timeoutMs !== undefined && (!Number.isFinite(input.timeoutMs) || input.timeoutMs <= 0)) {
		throw new InvalidInputError(`The timeout must be a positive number of milliseconds, got ${input.timeoutMs}.`);
	}
	if (input.maxOutputBytes !== undefined && (!Number.isSafeInteger(input.maxOutputBytes) || input.maxOutputBytes <= 0)) {
		throw new InvalidInputError(`The output cap must be a positive whole number of bytes, got ${input.maxOutputBytes}.`);
	}
	if (input.onDependencyFailure !== undefined && !DEPENDENCY_FAILURE_POLICIES.includes(input.onDependencyFailure)) {
		throw new InvalidInputError(`Unknown onDependencyFailure ${JSON.stringify(input.onDependencyFailure)}; use one of ${DEPENDENCY_FAILURE_POLICIES.join(', ')}.`);
	}
	if (input.role !== undefined && !ROLE_NAMES.includes(input.role)) {
		throw new InvalidInputError(`Unknown role ${JSON.stringify(input.role)}; use one of ${ROLE_NAMES.join(', ')}.`);
	}
	if (input.isolation !== undefined && !ISOLATIONS.includes(input.isolation)) {
		throw new InvalidInputError(`Unknown isolation ${JSON.stringify(input.isolation)}; use one of ${ISOLATIONS.join(', ')}.`);
	}
	if (input.mergeStrategy !== undefined && !MERGE_STRATEGIES.includes(input.mergeStrategy)) {
		throw new InvalidInputError(`Unknown merge strategy ${JSON.stringify(input.mergeStrategy)}; use one of ${MERGE_STRATEGIES.join(', ')}.`);
	}
	if (input.mergeStrategy !== undefined && input.isolation !== 'worktree') {
		throw new InvalidInputError('A merge strategy applies only with isolation "worktree"; add it, or leave the merge strategy out.');
	}
	for (const id of dependenciesOf(input)) {
		if (!options.isKnownTask(id)) {
			throw new InvalidInputError(`The dependency "${id}" is not a known task. Depend on tasks that exist (see \`ccfleet status\`).`);
		}
	}
}
