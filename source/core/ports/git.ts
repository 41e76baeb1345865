import type {Checkpoint} from '../domain/task.js';

/** The state of a working directory's git repository. */
export type GitInspector = {
	/** Branch, HEAD and uncommitted files; undefined outside a repository or when git is missing. */
	snapshot(cwd: string): Promise<Checkpoint['git'] | undefined>;
};
