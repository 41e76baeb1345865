import type {Task} from '../domain/task.js';

/**
 * Where the task changes the store never took are kept when the fleet stops (its lock held by another process past
 * every retry), so that the next start writes them before it recovers anything: a task whose end was known is never
 * run again.
 */
export type ChangeJournal = {
	/** Keeps these tasks' latest states in place of any kept before; throws when it cannot. */
	keep(tasks: readonly Task[]): void;
	/** What the last run kept, oldest change first; empty when nothing was. */
	pending(): Task[];
	/** Forgets what was kept, once it is in the store. */
	clear(): void;
	/** Where it is kept, for messages. */
	readonly location: string;
};
