import {checkChannel, type ChangeFeed, type ChangeSubscription} from './change-feed.js';
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
	/** A notification it could not take, for the log (the feed's owner hears of the session's drops). */
	onError?(error: unknown): void;
	/** @default TASKS_CHANNEL */
	channel?: string;
};

/**
 * Hears every change announced on a channel (the tasks channel unless told otherwise) by any host: an idle host learns
 * of new work as soon as it is committed, without polling. It subscribes to the host's ChangeFeed, whose one session
 * the host's other listeners share; after a drop it hears again and says so (onReconnect), since what was announced
 * meanwhile is lost.
 */
export class ChangeListener<Change = TaskChange> {
	readonly #feed: ChangeFeed;
	readonly #options: ChangeListenerOptions<Change>;
	readonly #channel: string;
	#subscription: ChangeSubscription | undefined;
	#isStopped = false;

	constructor(feed: ChangeFeed, options: ChangeListenerOptions<Change>) {
		this.#options = options;
		this.#channel = options.channel ?? TASKS_CHANNEL;
		checkChannel(this.#channel);
		this.#feed = feed;
	}

	get isListening(): boolean {
		return this.#subscription !== undefined && !this.#isStopped && this.#feed.isListening;
	}

	/** Listens on the feed, starting it if need be; throws (a FleetError saying what to do) when the feed cannot connect. */
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
		await subscription?.unsubscribe();
	}
}

/** The listener on the tasks channel, by the name its users know. */
export {ChangeListener as TaskChangeListener};
