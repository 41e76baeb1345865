import {execFile} from 'node:child_process';
import {accessSync, constants} from 'node:fs';
import path from 'node:path';
import type {Notification, NotificationChannel} from './notification.js';

/** The path of `notify-send` on PATH, or undefined where there is none (a server, macOS). */
export function findNotifySend(env: NodeJS.ProcessEnv): string | undefined {
	for (const directory of (env.PATH ?? '').split(path.delimiter)) {
		if (!directory) continue;
		const candidate = path.join(directory, 'notify-send');
		try {
			accessSync(candidate, constants.X_OK);
			return candidate;
		} catch {
			// not here
		}
	}
	return undefined;
}

/** A desktop notification through notify-send (argument array, no shell); questions are marked critical. */
export function desktopChannel(notifySend: string, env: NodeJS.ProcessEnv): NotificationChannel {
	return {
		name: 'desktop',
		send: (notification: Notification) =>
			new Promise<void>((resolve, reject) => {
				const urgency = notification.kind === 'needs_input' || notification.kind === 'question' ? 'critical' : 'normal';
				execFile(notifySend, ['--app-name=ccfleet', `--urgency=${urgency}`, notification.title, notification.message], {env, timeout: 10_000}, error => {
					if (error) reject(new Error(`notify-send failed: ${error.message}`, {cause: error}));
					else resolve();
				});
			}),
	};
}
