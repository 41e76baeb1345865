import {isIPv6} from 'node:net';
import {HttpError} from './router.js';

/** Failed token attempts one client address may make per window before it gets 429. */
export const MAX_FAILED_ATTEMPTS = 10;
export const FAILED_ATTEMPTS_WINDOW_MS = 60_000;

/** Client addresses whose failed attempts are remembered at most: a scan from many addresses cannot grow the map beyond this. */
export const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Whom failed attempts are counted against: an IPv4 address (also one written as ::ffff:a.b.c.d), or an IPv6 /64,
 * since anyone with one IPv6 address usually holds its whole /64 and could try from a new address each time.
 */
export function clientOf(address: string): string {
	const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
	if (mapped) return mapped[1]!;
	if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
	return address;
}

/** The eight groups of an IPv6 address, `::` filled in (an embedded IPv4 tail counts as two groups). */
function expandIPv6(address: string): string[] {
	const [head = '', tail] = address.split('::') as [string, string | undefined];
	const groups = (part: string) =>
		part
			.split(':')
			.filter(Boolean)
			.flatMap(group => (group.includes('.') ? ['0', '0'] : [group.toLowerCase()]));
	const start = groups(head);
	const end = tail === undefined ? [] : groups(tail);
	return [...start, ...Array.from({length: 8 - start.length - end.length}, () => '0'), ...end].map(group => group.replace(/^0+(?=.)/, ''));
}

/**
 * Counts failed token attempts per client (clientOf) in fixed windows; a client past MAX_FAILED_ATTEMPTS is refused
 * (429 with Retry-After) until its window ends, even with a good token, so tokens cannot be guessed at speed.
 */
export class FailedAttempts {
	/** In the order windows began (an entry whose window ended is deleted before its client is counted again). */
	readonly #byClient = new Map<string, {count: number; since: number; isTold?: boolean}>();

	/**
	 * @param onLimited runs once per client and window, at its first 429: the daemon's log gets a line per client
	 * limited, not one per refused request (a client hammering on would otherwise fill the disk with them).
	 */
	constructor(
		private readonly now: () => number = Date.now,
		private readonly onLimited: (client: string) => void = () => undefined,
	) {}

	get trackedClients(): number {
		return this.#byClient.size;
	}

	/** Throws 429 when the client of `address` spent its attempts. */
	check(address: string): void {
		const entry = this.#current(clientOf(address));
		if (!entry || entry.count < MAX_FAILED_ATTEMPTS) return;
		if (!entry.isTold) this.onLimited(clientOf(address));
		entry.isTold = true;
		const seconds = Math.max(1, Math.ceil((entry.since + FAILED_ATTEMPTS_WINDOW_MS - this.now()) / 1000));
		throw new HttpError(429, `Too many requests with a wrong token from ${address}; try again in ${seconds} s with a valid token.`, {'Retry-After': String(seconds)});
	}

	record(address: string): void {
		const client = clientOf(address);
		const entry = this.#current(client);
		if (entry) {
			entry.count++;
			return;
		}
		// The map is in window order, so ended windows are at its front: dropping them costs only what is dropped. Full
		// of live windows (a scan from very many addresses), the oldest goes: memory stays bounded, which matters more.
		for (const [key, oldest] of this.#byClient) {
			if (this.#byClient.size < MAX_TRACKED_CLIENTS && this.now() - oldest.since < FAILED_ATTEMPTS_WINDOW_MS) break;
			this.#byClient.delete(key);
		}
		this.#byClient.set(client, {count: 1, since: this.now()});
	}

	#current(client: string): {count: number; since: number; isTold?: boolean} | undefined {
		const entry = this.#byClient.get(client);
		if (entry && this.now() - entry.since >= FAILED_ATTEMPTS_WINDOW_MS) {
			this.#byClient.delete(client);
			return undefined;
		}
		return entry;
	}
}
