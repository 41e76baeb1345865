import type pg from 'pg';
import {openSession} from './connection.js';
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
	/** A drop or a failed reconnect, for the log; the listener keeps trying. */
	onError?(error: unknown): void;
	/** @default TASKS_CHANNEL */
	channel?: string;
	applicationName?: string;
};

/** The first reconnect comes this soon after a drop; each failure doubles it, up to the maximum. */
const RECONNECT_FIRST_MS = 50;
const RECONNECT_MAX_MS = 5_000;

/**
 * Hears every change announced on a channel (the tasks channel unless told otherwise) by any host, on a session of its own (LISTEN belongs to one connection, which a pool
 * would hand to others): an idle host learns of new work as soon as it is committed, without polling. When the
 * session drops it reconnects with back-off and says so (onReconnect), since what was announced meanwhile is lost.
 */
export class ChangeListener<Change = TaskChange> {
	readonly #url: string;
	readonly #options: ChangeListenerOptions<Change>;
	readonly #channel: string;
	#client: pg.Client | undefined;
	#retryMs = RECONNECT_FIRST_MS;
	#timer: NodeJS.Timeout | undefined;
	#isStopped = false;

	constructor(url: string, options: ChangeListenerOptions<Change>) {
		this.#url = url;
		this.#options = options;
		this.#channel = options.channel ?? TASKS_CHANNEL;
		if (!/^[a-z_][a-z0-9_]*$/.test(this.#channel)) throw new TypeError(`channel must be a lower-case SQL identifier, got "${this.#channel}".`);
	}

	get isListening(): boolean {
		return this.#client !== undefined;
	}

	/** Connects and listens; throws (a FleetError saying what to do) when the first connection fails. */
	async start(): Promise<void> {
		await this.#connect();
	}

	async stop(): Promise<void> {
		this.#isStopped = true;
		clearTimeout(this.#timer);
		const client = this.#client;
		this.#client = undefined;
		await client?.end().catch(() => {});
	}

	async #connect(): Promise<void> {
		const client = await openSession(this.#url, this.#options.applicationName ?? 'ccfleet listener');
		if (this.#isStopped) {
			await client.end().catch(() => {});
			return;
		}
		client.on('notification', message => {
			if (message.channel !== this.#channel || message.payload === undefined) return;
			try {
				this.#options.onChange(JSON.parse(message.payload) as Change);
			} catch (error) {
				this.#options.onError?.(error);
			}
		});
		let isDropped = false;
		const onDrop = (error?: unknown) => {
			if (isDropped) return;
			isDropped = true;
			if (this.#client === client) this.#client = undefined;
			if (this.#isStopped) return;
			this.#options.onError?.(error ?? new Error('the listening session ended'));
			void client.end().catch(() => {});
			this.#scheduleReconnect();
		};
		client.on('error', onDrop);
		client.on('end', () => onDrop());
		try {
			await client.query(`LISTEN ${this.#channel}`);
		} catch (error) {
			isDropped = true;
			await client.end().catch(() => {});
			throw error;
		}
		this.#client = client;
		this.#retryMs = RECONNECT_FIRST_MS;
	}

	#scheduleReconnect(): void {
		if (this.#isStopped || this.#timer !== undefined) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#connect().then(
				() => {
					if (!this.#isStopped) this.#options.onReconnect?.();
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

/** The listener on the tasks channel, by the name its users know. */
export {ChangeListener as TaskChangeListener};
