/**
 * What the core asks the spawner: start `file` with `args`, either on the terminal `tty` (its controlling terminal),
 * or (`tty` undefined) in a session of its own with pipes for stdin, stdout and stderr, which the spawner hands to the
 * core (one 'stdio' message each, carrying the pipe).
 */
export type SpawnRequest = {id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; tty?: string};

/** What the spawner tells the core about one request, in this order: spawned (and its pipes) or failed, then (once) exit. */
export type SpawnerMessage =
	| {type: 'spawned'; id: number; pid: number}
	| {type: 'stdio'; id: number; fd: 0 | 1 | 2}
	| {type: 'failed'; id: number; message: string}
	| {type: 'exit'; id: number; exitCode: number | null; signal: string | null};
