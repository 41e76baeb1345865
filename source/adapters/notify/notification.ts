import type {FleetEvents} from '../../core/events.js';

/** Why someone is told: a worker asks, a task failed, a question waits too long, the fleet is held. */
export type NotificationKind = 'needs_input' | 'failed' | 'question' | 'held';

/** One thing to tell a person, in words that stand alone on a phone's lock screen. */
export type Notification = {kind: NotificationKind; title: string; message: string; taskId?: string; at: number};

/** Where a notification goes: a webhook, the desktop. Resolves when sent; rejects with what went wrong. */
export type NotificationChannel = {name: string; send(notification: Notification): Promise<void>};

/** The events a notifier listens to: the core's own bus, or anything with the same `on`. */
export type NotifierSource = {
	on<E extends keyof FleetEvents>(event: E, listener: (payload: FleetEvents[E]) => void): () => void;
};

const FIRST_LINE_CHARS = 80;

/** A prompt's first line, short enough for a notification's body. */
export function promptLine(prompt: string): string {
	const line =
		prompt
			.split('\n')
			.find(text => text.trim() !== '')
			?.trim() ?? '';
	return line.length > FIRST_LINE_CHARS ? `${line.slice(0, FIRST_LINE_CHARS - 1)}…` : line;
}
