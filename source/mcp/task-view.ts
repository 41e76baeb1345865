import type {Task} from '../core/domain/task.js';
import type {Fleet} from '../core/fleet.js';
import type {TaskView} from '../protocol/views.js';

export type {TaskView} from '../protocol/views.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** How much of a prompt a task's view shows unless the whole is asked for: a prompt may be megabytes. */
export const VIEW_PROMPT_CHARS = 2000;

export type TaskViewOptions = {
	/** Shorten the prompt to this many characters; a list view, which also leaves out the checkpoint. */
	promptChars?: number;
	/** The whole prompt, however long (task_status {id, fullPrompt: true}, and ccfleet's own CLI and dashboard). */
	fullPrompt?: boolean;
};

export function taskView(fleet: Fleet, task: Task, options: TaskViewOptions = {}): TaskView {
	const worker = fleet.worker(task.id);
	const max = options.fullPrompt ? undefined : (options.promptChars ?? VIEW_PROMPT_CHARS);
	const prompt =
		max !== undefined && task.prompt.length > max
			? `${task.prompt.slice(0, max)}… (${task.prompt.length.toLocaleString('en-US')} characters; task_status {"id":"${task.id}","fullPrompt":true} has it all)`
			: task.prompt;
	const checkpoint = task.checkpoint && options.promptChars === undefined ? task.checkpoint : undefined;
	const position = task.status === 'queued' ? fleet.queuePosition(task.id) : 0;
	const waitingOn = task.status === 'queued' ? fleet.waitingOn(task.id) : [];
	const host = fleet.hosts.ofTask(task.id);
	const waitingFor = fleet.hosts.waitingFor(task);
	// Another host's worker asks too: its question comes from the inbox every host shares.
	const question = worker?.question ?? (task.status === 'needs_input' && !worker ? fleet.questions().find(waiting => waiting.taskId === task.id)?.question : undefined);
	const view: TaskView = {
		id: task.id,
		status: task.status,
		priority: task.priority,
		prompt,
		cwd: task.cwd,
		permissionMode: task.permissionMode,
		mode: task.mode,
		...(task.role ? {role: task.role} : {}),
		...(task.workflow ? {workflow: task.workflow} : {}),
		...(task.isolation ? {isolation: task.isolation, ...(task.mergeStrategy ? {mergeStrategy: task.mergeStrategy} : {})} : {}),
		...(task.base ? {base: task.base} : {}),
		...(task.verify ? {verify: task.verify} : {}),
		...(task.worktree ? {worktree: task.worktree} : {}),
		...(task.merge ? {merge: task.merge} : {}),
		...(task.model ? {model: task.model} : {}),
		...(task.parentTaskId ? {parentTaskId: task.parentTaskId} : {}),
		...(task.retryOf ? {retryOf: task.retryOf} : {}),
		...(task.dependsOn ? {dependsOn: task.dependsOn} : {}),
		...(task.continueFrom ? {continueFrom: task.continueFrom} : {}),
		...(task.onDependencyFailure ? {onDependencyFailure: task.onDependencyFailure} : {}),
		...(waitingOn.length > 0 ? {waitingOn} : {}),
		...(task.host || task.label ? {pin: {...(task.host ? {host: task.host} : {}), ...(task.label ? {label: task.label} : {})}} : {}),
		...(host ? {host} : {}),
		...(waitingFor ? {waitingFor} : {}),
		// Its result is the task's own (shown once, as `result`); its time is ISO like every other time here.
		...(checkpoint
			? {
					checkpoint: {
						takenAt: iso(checkpoint.takenAt)!,
						...(checkpoint.git ? {git: checkpoint.git} : {}),
						outputTail: checkpoint.outputTail,
						...(checkpoint.result !== undefined && checkpoint.result !== task.result ? {result: checkpoint.result} : {}),
						sessionId: checkpoint.sessionId,
						...(checkpoint.pullRequestUrl ? {pullRequestUrl: checkpoint.pullRequestUrl} : {}),
						...(checkpoint.runningOn ? {runningOn: checkpoint.runningOn} : {}),
					},
				}
			: {}),
		sessionId: task.sessionId,
		createdAt: iso(task.createdAt)!,
		...(task.startedAt ? {startedAt: iso(task.startedAt)} : {}),
		...(task.endedAt ? {endedAt: iso(task.endedAt)} : {}),
		attempts: task.attempts,
		timeoutMs: task.timeoutMs,
		...(task.exitCode !== undefined ? {exitCode: task.exitCode} : {}),
		...(task.result !== undefined ? {result: task.result} : {}),
		...(task.failureReason ? {failureReason: task.failureReason} : {}),
		...(task.cancelledBy ? {cancelledBy: task.cancelledBy} : {}),
		costUsd: task.costUsd,
		...(task.maxBudgetUsd === undefined ? {} : {maxBudgetUsd: task.maxBudgetUsd}),
		tokens: task.tokens,
		...(task.worker && worker ? {pid: task.worker.pid} : {}),
		...(worker ? {workerState: worker.state} : {}),
		...(worker?.rssBytes !== undefined ? {rssBytes: worker.rssBytes} : {}),
		...(worker?.activity ? {activity: worker.activity} : {}),
		...(question ? {question} : {}),
		...(position > 0 ? {queuePosition: position} : {}),
		...(task.status === 'parked' && task.parkedUntil !== undefined ? {parkedUntil: iso(task.parkedUntil)} : {}),
		...(task.allow ? {allow: task.allow} : {}),
		...(task.deny ? {deny: task.deny} : {}),
		...(task.answers && options.promptChars === undefined ? {answers: task.answers.map(answer => ({...answer, at: iso(answer.at)!}))} : {}),
	};
	return view;
}
