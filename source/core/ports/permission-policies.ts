import type {PolicyLevel} from '../domain/permission-policy.js';

/**
 * Where the fleet's permission rules live outside a task: the user's policy file and each project's. Read fresh when
 * a file changes, so an edit takes effect at the next question.
 */
export type PermissionPolicies = {
	/**
	 * The project and user levels for a task working in `cwd`, most specific first. Throws PolicyFileError (naming the
	 * file, the line and what is accepted) when a file that applies cannot be used.
	 */
	levelsFor(cwd: string): PolicyLevel[];
	/** "Always allow, for this project": adds allow rules for `dir` to the user's policy file; returns that file. */
	allowForProject(dir: string, rules: readonly string[]): string;
	/** The user's home directory, for rules written `~/…`. */
	readonly home: string;
};
