/** What the core asks the spawner: start `file` with `args` on the terminal `tty` (its controlling terminal). */
export type SpawnRequest = {id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; tty: string};

/** What the spawner tells the core about one request, in this order: spawned or failed, then (once) exit. */
export type SpawnerMessage =
	{type: 'spawned'; id: number; pid: number} | {type: 'failed'; id: number; message: string} | {type: 'exit'; id: number; exitCode: number | null; signal: string | null};
