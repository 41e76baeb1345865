import type {NotifyOptions} from '../../config.js';
import type {Logger} from '../../core/ports/logger.js';
import {desktopChannel, findNotifySend} from './desktop.js';
import type {NotificationChannel, NotifierSource} from './notification.js';
import {createNotifier, type Notifier} from './notifier.js';
import {webhookChannel} from './webhook.js';

/** The notifier the core host runs: a webhook when CCFLEET_NOTIFY_URL is set, the desktop where notify-send is. None: undefined. */
export function startNotifier(source: NotifierSource, options: NotifyOptions, env: NodeJS.ProcessEnv, logger: Logger): Notifier | undefined {
	const channels: NotificationChannel[] = [];
	if (options.url) channels.push(webhookChannel(options.url, options.format));
	const notifySend = options.desktop ? findNotifySend(env) : undefined;
	if (notifySend) channels.push(desktopChannel(notifySend, env));
	if (channels.length === 0) return undefined;
	logger.info('notifications on', {channels: channels.map(channel => channel.name)});
	return createNotifier(source, {channels, logger});
}
