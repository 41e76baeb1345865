import type {TaskView} from '../../source/protocol/views.js';

/** A running task's view as the CLI gets it, created a minute before `now`; `extra` sets what a test is about. */
export function taskView(id: string, now: number, extra: Partial<TaskView> = {}): TaskView {
	return {
		id,
		status: 'running',
		priority: 'P1',
		prompt: `task ${id}`,
		cwd: '/w',
		permissionMode: 'acceptEdits',
		mode: 'pty',
		sessionId: 's',
		createdAt: new Date(now - 60_000).toISOString(),
		attempts: 1,
		timeoutMs: 60_000,
		costUsd: 0,
		tokens: {input: 0, output: 0, cacheRead: 0, cacheCreation: 0},
		...extra,
	};
}
