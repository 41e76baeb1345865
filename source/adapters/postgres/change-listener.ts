import {ChangeFeed, checkChannel, type ChangeSubscription} from './change-feed.js';
import {TASKS_CHANNEL} from './schema.js';

/** What the tasks trigger announces: which task changed, its status and holder now, and the change's number (tasks.change_seq). */
export type TaskChange = {id: string; status: string; host: string | null; op: 'insert' | 'update'; seq: number};

export type ChangeListenerOptions<Change = TaskChange> = {
	onChange(change: Change): void;
	/**
	 * The session came back after a drop. Notifications sent meanwhile are lost (PostgreSQL keeps none for a session
	 * that is gone), so whoever mirrors the tasks reads them again now.
	 */
	onReconnect?(): void;
	/**
	 * For the log; the listener keeps trying. On a session of its own: a drop, a failed reconnect, or a notification it
	 * could not take. On a shared feed only the last: the feed's owner hears of its drops.
	 */
	onError?(error: unknown): void;
	/** @default TASKS_CHANNEL */
	channel?: string;
	/** Names its own session in pg_stat_activity; a shared feed's session keeps the feed's name. */
	applicationName?: string;
};

/**
 * Hears every change announced on a channel (the tasks channel unless told otherwise) by any host: an idle host learns
 * of new work as soon as it is committed, without polling. Given a URL it listens on a session of its own; given a
 * ChangeFeed it subscribes to that feed's session, which the host's other listeners share (see ChangeFeed). Either way,
 * after a drop it hears again and says so (onReconnect), since what was announced meanwhile is lost.
 */
export class ChangeListener<Change = TaskChange> {
	readonly #feed: ChangeFeed;
	/** The feed is this listener's own (built from a URL): it starts and stops with it. */
	readonly #ownsFeed: boolean;
	readonly #options: ChangeListenerOptions<Change>;
	readonly #channel: string;
	#subscription: ChangeSubscription | undefined;
	#isStopped = false;

	constructor(source: string | ChangeFeed, options: ChangeListenerOptions<Change>) {
		this.#options = options;
		this.#channel = options.channel ?? TASKS_CHANNEL;
		checkChannel(this.#channel);
		this.#ownsFeed = typeof source === 'string';
		this.#feed =
			typeof source === 'string'
				? new ChangeFeed(source, {
						applicationName: options.applicationName ?? 'ccfleet listener',
						...(options.onError ? {onError: (error: unknown) => options.onError?.(error)} : {}),
					})
				: source;
	}

	get isListening(): boolean {
		return this.#subscription !== undefined && !this.#isStopped && this.#feed.isListening;
	}

	/** Connects (or joins the shared feed) and listens; throws (a FleetError saying what to do) when the first connection fails. */
	async start(): Promise<void> {
		const options = this.#options;
		this.#subscription = await this.#feed.subscribe<Change>(this.#channel, {
			onChange: change => options.onChange(change),
			onReconnect: () => options.onReconnect?.(),
			...(options.onError ? {onError: (error: unknown) => options.onError?.(error)} : {}),
		});
		if (this.#isStopped) await this.stop();
	}

	async stop(): Promise<void> {
		this.#isStopped = true;
		const subscription = this.#subscription;
		this.#subscription = undefined;
		if (this.#ownsFeed) await this.#feed.stop();
		else await subscription?.unsubscribe();
	}
}

/** The listener on the tasks channel, by the name its users know. */
export {ChangeListener as TaskChangeListener};
