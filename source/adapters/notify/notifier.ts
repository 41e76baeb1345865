import type {Logger} from '../../core/ports/logger.js';
import {promptLine, type Notification, type NotificationChannel, type NotificationKind, type NotifierSource} from './notification.js';
import {messageOf} from '../../core/domain/errors.js';

export type NotifierOptions = {
	channels: NotificationChannel[];
	logger: Logger;
	now?: () => number;
	/** At most this many notifications go out per window; the rest are told as one summary when it ends. @default 5 */
	burst?: number;
	/** @default 60_000 */
	windowMs?: number;
	/** One task is told about once per kind within this. @default 60_000 */
	perTaskMs?: number;
};

export type Notifier = {
	/** Stops listening and drops a pending summary. Idempotent. */
	close(): void;
	/** Resolves once everything sent so far has been delivered or given up on (tests, shutdown). */
	idle(): Promise<void>;
};

const KIND_WORDS: Record<NotificationKind, [one: string, many: string]> = {
	needs_input: ['needs input', 'need input'],
	question: ['question waits', 'questions wait'],
	failed: ['failed', 'failed'],
	held: ['fleet hold', 'fleet holds'],
};

/**
 * Tells people what needs them, through every channel: a worker that asks, a task that failed, a question left
 * waiting, the fleet held by a usage limit or the daily budget. It never floods: one task is told once per kind
 * and minute, and past `burst` notifications a minute the rest become one summary ("12 more: 12 failed").
 */
export function createNotifier(source: NotifierSource, options: NotifierOptions): Notifier {
	const now = options.now ?? Date.now;
	const burst = options.burst ?? 5;
	const windowMs = options.windowMs ?? 60_000;
	const perTaskMs = options.perTaskMs ?? 60_000;
	const prompts = new Map<string, string>();
	const lastTold = new Map<string, number>();
	const pending = new Set<Promise<void>>();
	let windowStart = 0;
	let sentInWindow = 0;
	let held: Partial<Record<NotificationKind, number>> = {};
	let summaryTimer: NodeJS.Timeout | undefined;
	let isClosed = false;
	const failedChannels = new Map<string, number>();

	const deliver = (notification: Notification) => {
		for (const channel of options.channels) {
			const sending = channel
				.send(notification)
				.then(() => {
					failedChannels.delete(channel.name);
				})
				.catch((error: unknown) => {
					// Said once a window, not once per notification, when a channel is down.
					const last = failedChannels.get(channel.name);
					if (last === undefined || now() - last >= windowMs) {
						failedChannels.set(channel.name, now());
						options.logger.warn(`a ${channel.name} notification could not be sent; check CCFLEET_NOTIFY_URL / notify-send`, {
							error: messageOf(error),
						});
					}
				})
				.finally(() => pending.delete(sending));
			pending.add(sending);
		}
	};

	const sendSummary = () => {
		summaryTimer = undefined;
		const counts = Object.entries(held) as Array<[NotificationKind, number]>;
		held = {};
		if (isClosed || counts.length === 0) return;
		const total = counts.reduce((sum, [, count]) => sum + count, 0);
		const parts = counts.map(([kind, count]) => `${count} ${KIND_WORDS[kind][count === 1 ? 0 : 1]}`);
		windowStart = now();
		sentInWindow = 1;
		deliver({kind: counts[0]![0], title: `ccfleet: ${total} more`, message: `${parts.join(', ')}. See them with: ccfleet status`, at: now()});
	};

	const tell = (notification: Omit<Notification, 'at'>) => {
		if (isClosed) return;
		const at = now();
		if (notification.taskId !== undefined) {
			const key = `${notification.kind}:${notification.taskId}`;
			const last = lastTold.get(key);
			if (last !== undefined && at - last < perTaskMs) return;
			lastTold.set(key, at);
		}
		if (at - windowStart >= windowMs) {
			windowStart = at;
			sentInWindow = 0;
		}
		if (sentInWindow >= burst) {
			held[notification.kind] = (held[notification.kind] ?? 0) + 1;
			summaryTimer ??= setTimeout(sendSummary, Math.max(0, windowStart + windowMs - at));
			return;
		}
		sentInWindow++;
		deliver({...notification, at});
	};

	const offs = [
		source.on('task:created', ({task}) => prompts.set(task.id, promptLine(task.prompt))),
		source.on('task:updated', ({task, previous, remote}) => {
			prompts.set(task.id, promptLine(task.prompt));
			// A task that failed on another host of a shared fleet is that host's to tell, once, not every host's.
			if (task.status === 'failed' && previous !== 'failed' && !remote) {
				tell({kind: 'failed', taskId: task.id, title: `ccfleet: ${task.id} failed`, message: `${task.failureReason ?? 'It failed.'}\n${promptLine(task.prompt)}`});
			}
			if (task.status === 'completed' || task.status === 'cancelled' || task.status === 'skipped') prompts.delete(task.id);
		}),
		source.on('worker:state', ({taskId, state, question}) => {
			if (state !== 'needs_input' || !question) return;
			const prompt = prompts.get(taskId);
			tell({
				kind: 'needs_input',
				taskId,
				title: `ccfleet: ${taskId} needs input`,
				message: `${question.question}${prompt ? `\n${prompt}` : ''}\nAnswer: ccfleet respond ${taskId} approve|deny (or y/n in the dashboard)`,
			});
		}),
		source.on('question:unanswered', ({taskId, question, waitingMs}) => {
			tell({
				kind: 'question',
				taskId,
				title: `ccfleet: ${taskId} has waited ${waitingMs < 60_000 ? `${Math.round(waitingMs / 1000)} s` : `${Math.round(waitingMs / 60_000)} min`}`,
				message: `${question.question}\nIt waits for an answer: ccfleet respond ${taskId} approve|deny (or y/n in the dashboard)`,
			});
		}),
		source.on('fleet:held', ({policy, reason}) => {
			tell({kind: 'held', title: `ccfleet: no new task starts (${policy})`, message: reason});
		}),
	];

	return {
		close() {
			if (isClosed) return;
			isClosed = true;
			for (const off of offs) off();
			clearTimeout(summaryTimer);
		},
		async idle() {
			while (pending.size > 0) await Promise.all([...pending]);
		},
	};
}
