import {continuationPreamble, failedDependenciesNote} from '../domain/checkpoint.js';
import type {Task} from '../domain/task.js';
import type {TakenOver} from '../ports/task-coordinator.js';
import {dependenciesOf} from '../domain/task-input.js';
import {workflowPreamble} from '../domain/workflow-prompt.js';

/** What a resumed worker is told when its conversation continues after ccfleet lost it mid-turn. */
export const RESUME_PROMPT =
	'ccfleet restarted while you were working on this task and your last turn was interrupted. Continue the task from where you left off and finish it.';

/** What a task parked at a usage limit is told when it goes on after the reset. */
export const LIMIT_RESUME_PROMPT =
	'The usage limit was reached while you were working on this task, and it has now reset. Continue the task from where you left off and finish it.';

/** What a resumed task is told when whoever resumed it added nothing. */
export const CONTINUE_PROMPT = 'Continue the task from where you stopped and finish it.';

/** Where the worker runs: the task's directory, or the same place inside its worktree. */
export function workingDirectory(task: Pick<Task, 'cwd' | 'worktree'>): string {
	const worktree = task.worktree;
	if (!worktree) return task.cwd;
	const inside = task.cwd === worktree.repoRoot || task.cwd.startsWith(`${worktree.repoRoot}/`);
	return inside ? worktree.path + task.cwd.slice(worktree.repoRoot.length) : worktree.path;
}

/** The prompt a worker gets: the task's own, after the checkpoint it continues from and any failed dependency. */
export function promptWithDependencies(task: Task, find: (id: string) => Task | undefined): string {
	let prompt = task.prompt;
	const failed = dependenciesOf(task)
		.map(find)
		.filter((dependency): dependency is Task => dependency !== undefined && dependency.status !== 'completed');
	if (failed.length > 0) prompt = failedDependenciesNote(failed) + prompt;
	const from = task.continueFrom ? find(task.continueFrom) : undefined;
	if (from) prompt = continuationPreamble(from) + prompt;
	// A workflow step continues from every step it depends on, each one's checkpoint in turn.
	if (task.workflow)
		prompt =
			workflowPreamble(
				task,
				(task.dependsOn ?? []).map(find).filter((dependency): dependency is Task => dependency !== undefined),
			) + prompt;
	return prompt;
}

/** The prompt of a continuation that cannot resume the conversation itself: it retells what happened. */
export function retellPrompt(parent: Task, context: string | undefined): string {
	const outcome =
		parent.status === 'completed'
			? `It completed with this answer:\n${parent.result ?? '(no answer)'}`
			: `It ended ${parent.status}${parent.failureReason ? `: ${parent.failureReason}` : ''}.${parent.result ? `\nIts last answer:\n${parent.result}` : ''}`;
	return [
		`This continues an earlier task (${parent.id}) whose conversation is no longer available.`,
		`The earlier task was:\n${parent.prompt}`,
		outcome,
		context ? `Now:\n${context}` : CONTINUE_PROMPT,
	].join('\n\n');
}

/**
 * What a fresh conversation on the host that took a task over is told before the task's prompt: the previous attempt
 * was lost with its host, and its last output as its progress checkpoint kept it (in the continuation preamble's style).
 */
export function takeoverPreamble(task: Task, from: TakenOver): string {
	const checkpoint = task.checkpoint?.runningOn === undefined ? undefined : task.checkpoint;
	const parts = [
		`A previous attempt at this task on host ${from.fromHost} stopped when that host was lost (its lease expired at ${isoTime(from.at)}). Its conversation stayed on that host, so this is a new conversation.`,
	];
	if (checkpoint?.outputTail.length) {
		const where = checkpoint.runningOn === from.fromHost ? '' : ` on host ${checkpoint.runningOn}`;
		parts.push(`Its last output${where} (as of ${isoTime(checkpoint.takenAt)}) was:\n${checkpoint.outputTail.join('\n')}`);
	} else {
		parts.push('None of its output reached the shared database.');
	}
	parts.push('Go on from where it stopped; do not redo finished work. Check what is already done (files, commits) before you change anything. The task follows.');
	return `${parts.join('\n\n')}\n\n---\n\n`;
}

/**
 * What a resumed conversation is told when the host that ran it was lost and a host that can read it (a shared home,
 * or the same host back) took it over.
 */
export function takeoverResumePrompt(from: TakenOver): string {
	return `The host that ran this task (${from.fromHost}) was lost: its lease on the task expired at ${isoTime(from.at)}, and the task was taken over. This conversation goes on from where it was cut off. Continue the task from where you left off and finish it; do not redo finished work.`;
}

/**
 * The line a taken-over task's log gets when its worker starts on the host that took it (`here`): where it came from
 * and how it goes on.
 */
export function takeoverNote(from: TakenOver, how: 'resumed' | 'retold' | 'no-checkpoint', here?: string): string {
	const start =
		from.fromHost === here
			? `[ccfleet] host ${here} came back after its lease on this task expired (${isoTime(from.at)}) and took it over again`
			: `[ccfleet] taken over from host ${from.fromHost} after its lease expired (${isoTime(from.at)})`;
	switch (how) {
		case 'resumed':
			return `${start}; its conversation is reachable here, so it resumed its conversation.\n`;
		case 'retold':
			return `${start}; its conversation is not on this host, so it restarted from its checkpoint's retelling.\n`;
		case 'no-checkpoint':
			return `${start}; its conversation is not on this host and no checkpoint of it reached the shared database, so it restarted from its prompt.\n`;
	}
}

function isoTime(epochMs: number): string {
	return new Date(epochMs).toISOString();
}
