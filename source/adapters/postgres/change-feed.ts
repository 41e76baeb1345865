import type pg from 'pg';
import {FleetError} from '../../core/domain/errors.js';
import {openSession} from './connection.js';

/** One subscriber of one channel: what it is told. */
export type ChangeSubscriber<Change = unknown> = {
	/** A notification on the channel, its payload parsed as JSON. */
	onChange(change: Change): void;
	/**
	 * The session came back after a drop. Notifications sent meanwhile are lost (PostgreSQL keeps none for a session
	 * that is gone), so whoever mirrors the channel's table reads it again now.
	 */
	onReconnect?(): void;
	/** A notification this subscriber could not take (a payload that is not JSON, or onChange threw). @default the feed's onError */
	onError?(error: unknown): void;
};

export type ChangeFeedOptions = {
	/** Shows in pg_stat_activity. @default 'ccfleet listener' */
	applicationName?: string;
	/** A drop or a failed reconnect, for the log; the feed keeps trying. */
	onError?(error: unknown): void;
	/**
	 * Runs on each new session before it listens (`isFirst`: the start's): what else the host holds for the session's
	 * life (its host id's lock). Throwing fails the start, or the reconnect, which is tried again.
	 */
	prepareSession?(session: pg.Client, isFirst: boolean): Promise<void>;
};

/** Ends one subscription; the channel is left (UNLISTEN) once nobody else on this feed listens to it. */
export type ChangeSubscription = {unsubscribe(): Promise<void>};

/** The first reconnect comes this soon after a drop; each failure doubles it, up to the maximum. */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 5_000;

/**
 * Hears every channel this host's subscribers name on one session of its own (LISTEN belongs to one connection, which
 * a pool would hand to others), so a host holds one listening connection whatever it mirrors: with ten hosts, ten
 * sessions rather than thirty against the server's max_connections. Each notification goes to the subscribers of its
 * channel. When the session drops it reconnects with back-off, listens to every channel again and tells every
 * subscriber (onReconnect), since what was announced meanwhile is lost.
 */
export class ChangeFeed {
	readonly #url: string;
	readonly #options: ChangeFeedOptions;
	readonly #subscribers = new Map<string, Set<ChangeSubscriber<never>>>();
	#client: pg.Client | undefined;
	/** The channels LISTENed on #client. */
	#listened = new Set<string>();
	#starting: Promise<void> | undefined;
	#isStarted = false;
	#retryMs = RECONNECT_FIRST_MS;
	#timer: NodeJS.Timeout | undefined;
	#isStopped = false;

	constructor(url: string, options: ChangeFeedOptions = {}) {
		this.#url = url;
		this.#options = options;
	}

	/** Whether the session is up now (between a drop and the reconnect it is not). */
	get isListening(): boolean {
		return this.#client !== undefined;
	}

	/** Connects and listens to the channels subscribed so far; throws (a FleetError saying what to do) when the first connection fails. Idempotent. */
	async start(): Promise<void> {
		if (this.#isStopped) throw new FleetError('This change feed is stopped; open a new ChangeFeed to listen again.');
		if (this.#isStarted) return;
		this.#starting ??= this.#connect().then(
			() => {
				this.#isStarted = true;
			},
			(error: unknown) => {
				this.#starting = undefined;
				throw error;
			},
		);
		await this.#starting;
	}

	/**
	 * Starts the feed if it is not, and listens to `channel` for this subscriber. Resolves once notifications on the
	 * channel reach it, or, while the session is down, once it is registered: the reconnect listens to it and calls its
	 * onReconnect, so nothing committed after the call is missed either way.
	 */
	async subscribe<Change>(channel: string, subscriber: ChangeSubscriber<Change>): Promise<ChangeSubscription> {
		checkChannel(channel);
		const subscribers = this.#subscribers.get(channel) ?? new Set();
		this.#subscribers.set(channel, subscribers);
		subscribers.add(subscriber);
		try {
			// Registered first, so that the first connect listens to it too: a feed that cannot listen never starts.
			await this.start();
			await this.#listenOn(channel);
		} catch (error) {
			await this.#remove(channel, subscriber);
			throw error;
		}
		let isDone = false;
		return {
			unsubscribe: async () => {
				if (isDone) return;
				isDone = true;
				await this.#remove(channel, subscriber);
			},
		};
	}

	/** Closes the session; subscribers hear nothing more. Idempotent. */
	async stop(): Promise<void> {
		this.#isStopped = true;
		clearTimeout(this.#timer);
		const client = this.#client;
		this.#client = undefined;
		await client?.end().catch(() => {});
	}

	async #remove(channel: string, subscriber: ChangeSubscriber<never>): Promise<void> {
		const subscribers = this.#subscribers.get(channel);
		if (!subscribers?.delete(subscriber) || subscribers.size > 0) return;
		this.#subscribers.delete(channel);
		const client = this.#client;
		if (!client || !this.#listened.delete(channel)) return;
		await client.query(`UNLISTEN ${channel}`).catch(() => {});
	}

	async #listenOn(channel: string): Promise<void> {
		const client = this.#client;
		// No session now: the reconnect (or the connect under way) listens to every subscribed channel.
		if (!client || this.#listened.has(channel)) return;
		this.#listened.add(channel);
		try {
			await client.query(`LISTEN ${channel}`);
		} catch (error) {
			// The session dropped meanwhile: the reconnect listens again and tells this subscriber.
			if (this.#client === client) throw error;
		}
	}

	async #connect(): Promise<void> {
		const client = await openSession(this.#url, this.#options.applicationName ?? 'ccfleet listener');
		if (this.#isStopped) {
			await client.end().catch(() => {});
			return;
		}
		client.on('notification', message => this.#dispatch(message));
		let isDropped = false;
		const onDrop = (error?: unknown) => {
			if (isDropped) return;
			isDropped = true;
			// Not live yet: the LISTEN under way fails, and #connect's caller reports it and retries.
			if (this.#client !== client) return;
			this.#client = undefined;
			if (this.#isStopped) return;
			this.#options.onError?.(error ?? new Error('the listening session ended'));
			void client.end().catch(() => {});
			this.#scheduleReconnect();
		};
		client.on('error', onDrop);
		client.on('end', () => onDrop());
		const listened = new Set<string>();
		try {
			await this.#options.prepareSession?.(client, !this.#isStarted);
			// Channels subscribed while these LISTENs run are taken too: the loop ends only when none is left out.
			for (let channel = this.#unlistened(listened); channel !== undefined; channel = this.#unlistened(listened)) {
				listened.add(channel);
				await client.query(`LISTEN ${channel}`);
			}
			if (isDropped) throw new Error('the listening session ended while it was starting to listen');
		} catch (error) {
			isDropped = true;
			await client.end().catch(() => {});
			throw error;
		}
		if (this.#isStopped) {
			isDropped = true;
			await client.end().catch(() => {});
			return;
		}
		this.#client = client;
		this.#listened = listened;
		this.#retryMs = RECONNECT_FIRST_MS;
	}

	#unlistened(listened: ReadonlySet<string>): string | undefined {
		for (const channel of this.#subscribers.keys()) if (!listened.has(channel)) return channel;
		return undefined;
	}

	#dispatch(message: pg.Notification): void {
		const subscribers = this.#subscribers.get(message.channel);
		if (!subscribers || message.payload === undefined) return;
		let change: unknown;
		try {
			change = JSON.parse(message.payload);
		} catch (error) {
			for (const subscriber of subscribers) (subscriber.onError ?? this.#options.onError)?.(error);
			return;
		}
		for (const subscriber of [...subscribers]) {
			try {
				subscriber.onChange(change as never);
			} catch (error) {
				(subscriber.onError ?? this.#options.onError)?.(error);
			}
		}
	}

	#scheduleReconnect(): void {
		if (this.#isStopped || this.#timer !== undefined) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#connect().then(
				() => {
					if (this.#isStopped) return;
					for (const subscribers of [...this.#subscribers.values()]) {
						for (const subscriber of [...subscribers]) {
							try {
								subscriber.onReconnect?.();
							} catch (error) {
								(subscriber.onError ?? this.#options.onError)?.(error);
							}
						}
					}
				},
				(error: unknown) => {
					this.#options.onError?.(error);
					this.#retryMs = Math.min(RECONNECT_MAX_MS, this.#retryMs * 2);
					this.#scheduleReconnect();
				},
			);
		}, this.#retryMs);
		this.#timer.unref();
	}
}

/** Channels go into LISTEN as identifiers (it takes no parameters), so only plain lower-case names are accepted. */
export function checkChannel(channel: string): void {
	if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`channel must be a lower-case SQL identifier, got "${channel}".`);
}
