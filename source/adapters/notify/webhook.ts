import type {Notification, NotificationChannel} from './notification.js';

/** A webhook that does not answer within this is given up on: a notification must never hold the core up. */
const WEBHOOK_TIMEOUT_MS = 10_000;

const PRIORITY: Record<Notification['kind'], string> = {needs_input: 'high', question: 'high', failed: 'default', held: 'default'};
const TAGS: Record<Notification['kind'], string> = {needs_input: 'question', question: 'hourglass', failed: 'x', held: 'pause_button'};

/**
 * POSTs each notification to `url`. `text` is what ntfy takes: the message as the body, the title, priority and tags
 * as headers (any service that reads a plain body works too). `json` sends `{kind, title, message, taskId, at}`.
 */
export function webhookChannel(url: string, format: 'text' | 'json', fetchImpl: typeof fetch = fetch): NotificationChannel {
	return {
		name: 'webhook',
		async send(notification) {
			const init: RequestInit =
				format === 'json'
					? {
							method: 'POST',
							headers: {'content-type': 'application/json'},
							body: JSON.stringify({...notification, at: new Date(notification.at).toISOString()}),
						}
					: {
							method: 'POST',
							// Header values must be Latin-1: a title with other characters is sent without them.
							headers: {
								'content-type': 'text/plain; charset=utf-8',
								Title: notification.title.replace(/[^\u0020-\u007E]/g, ''),
								Priority: PRIORITY[notification.kind],
								Tags: TAGS[notification.kind],
							},
							body: notification.message,
						};
			const response = await fetchImpl(url, {...init, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)});
			if (!response.ok) throw new Error(`the webhook answered ${response.status} ${response.statusText}`);
		},
	};
}
