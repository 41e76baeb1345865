import type {ServerResponse} from 'node:http';
import {HttpError} from './router.js';
import type {TokenHolder} from './token-store.js';

/**
 * Requests one token may have open at once (streams mostly: a page holds /events and a log or two per tab). Each
 * stream holds listeners and buffers in the core, so a leaked or buggy client cannot open them without end.
 */
export const MAX_OPEN_PER_TOKEN = 64;

/**
 * The requests in flight that a token let in, with the token's id: event streams, MCP GET streams, long MCP calls.
 * A token is checked when a request comes, so without this a stream opened before `ccfleet token revoke` would
 * keep flowing to the revoked holder, and a stop would wait for streams to be cut instead of ending them.
 */
export class OpenRequests {
	readonly #open = new Map<ServerResponse, string>();

	get size(): number {
		return this.#open.size;
	}

	/** Counts the request against its token; 429 when the token has MAX_OPEN_PER_TOKEN open already. */
	add(response: ServerResponse, holder: TokenHolder): void {
		const {tokenId} = holder;
		let count = 0;
		for (const id of this.#open.values()) if (id === tokenId) count++;
		if (count >= MAX_OPEN_PER_TOKEN) {
			throw new HttpError(
				429,
				`The token "${holder.name}" has ${count} requests open (event streams, mostly), the most one token may; close some (pages or tabs left open) and try again.`,
				{'Retry-After': '5'},
			);
		}
		this.#open.set(response, tokenId);
		response.once('close', () => this.#open.delete(response));
	}

	/** Ends every request whose token `isRevoked` says is gone. */
	endWhere(isRevoked: (tokenId: string) => boolean): void {
		for (const [response, tokenId] of [...this.#open]) if (isRevoked(tokenId)) end(response);
	}

	/** Ends every stream (a response already under way); a request still being answered is left to finish. */
	endStreams(): void {
		for (const response of [...this.#open.keys()]) if (response.headersSent) end(response);
	}
}

/** A stream that started is ended as streams end (its client sees a clean end); one that did not is cut. */
function end(response: ServerResponse): void {
	if (response.headersSent) response.end();
	else response.destroy();
}
