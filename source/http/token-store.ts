import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomically} from '../adapters/fs/write-file-atomically.js';
import {FleetError} from '../core/domain/errors.js';

/**
 * What a request's bearer token stands for. `tokenId` (the token's sha256) tells two tokens of one name apart: a
 * token revoked and made again under its name gets none of the old one's sessions, and its streams end.
 */
export type TokenHolder = {name: string; isReadOnly: boolean; tokenId: string};

/** The token file cannot be read: the CLI says so with the file; an HTTP client only learns that tokens cannot be checked. */
export class TokenFileError extends FleetError {
	override name = 'TokenFileError';
}

/** A token as the file keeps it: its sha256, never the token itself. */
export type StoredToken = {name: string; sha256: string; readOnly: boolean; createdAt: string};

/** The prefix marks a ccfleet token in a shell history or a leaked log (and lets a secret scanner find it). */
const TOKEN_PREFIX = 'ccf_';
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The token file of a state directory: 0600, beside the database. */
export function tokenFilePath(home: string): string {
	return path.join(home, 'http-tokens.json');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The bearer tokens of the HTTP API in a 0600 JSON file. Tokens are 32 random bytes, so their sha256 is enough (no
 * slow hash needed: there is nothing to guess). The file is read again when it changed, so `ccfleet token revoke`
 * takes effect at the next request of a running core.
 */
export class TokenFile {
	#cache: {stamp: string; tokens: StoredToken[]} | undefined;

	constructor(readonly filePath: string) {}

	list(): StoredToken[] {
		let stamp: string;
		try {
			const info = statSync(this.filePath);
			stamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
		} catch {
			return [];
		}
		if (this.#cache?.stamp === stamp) return this.#cache.tokens;
		let tokens: StoredToken[];
		try {
			const parsed = JSON.parse(readFileSync(this.filePath, 'utf8')) as {tokens?: StoredToken[]};
			tokens = Array.isArray(parsed.tokens) ? parsed.tokens.filter(token => typeof token?.name === 'string' && /^[0-9a-f]{64}$/.test(String(token.sha256))) : [];
		} catch (error) {
			throw new TokenFileError(
				`The token file ${this.filePath} cannot be read (${(error as Error).message}). Move it away and create tokens again with \`ccfleet token create\`.`,
			);
		}
		this.#cache = {stamp, tokens};
		return tokens;
	}

	/** A new token under `name`; returns the token, which is shown this once and never stored. */
	create(name: string, options: {isReadOnly?: boolean} = {}): string {
		if (!TOKEN_NAME.test(name))
			throw new FleetError(`Token name "${name}" is not accepted; use letters, digits, dot, dash or underscore (up to 64), e.g. phone or ci-bot.`);
		const tokens = this.list();
		if (tokens.some(token => token.name === name))
			throw new FleetError(`A token named ${name} exists. Revoke it first (\`ccfleet token revoke ${name}\`) or choose another name.`);
		const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
		const entry: StoredToken = {name, sha256: sha256(token).toString('hex'), readOnly: options.isReadOnly === true, createdAt: new Date().toISOString()};
		this.#write([...tokens, entry]);
		return token;
	}

	/** Removes the token named `name`; false when there is none. */
	revoke(name: string): boolean {
		const tokens = this.list();
		const kept = tokens.filter(token => token.name !== name);
		if (kept.length === tokens.length) return false;
		this.#write(kept);
		return true;
	}

	/** Who holds `token`, or undefined. Every stored hash is compared in constant time, so timing tells nothing. */
	verify(token: string): TokenHolder | undefined {
		const presented = sha256(token);
		let holder: TokenHolder | undefined;
		for (const stored of this.list()) {
			if (timingSafeEqual(presented, Buffer.from(stored.sha256, 'hex')) && !holder) holder = {name: stored.name, isReadOnly: stored.readOnly, tokenId: stored.sha256};
		}
		return holder;
	}

	/** The ids (sha256) of the tokens valid now; none when the file cannot be read, so that nothing stays open on a doubt. */
	validIds(): Set<string> {
		try {
			return new Set(this.list().map(token => token.sha256));
		} catch {
			return new Set();
		}
	}

	#write(tokens: StoredToken[]): void {
		writeFileAtomically(this.filePath, `${JSON.stringify({tokens}, null, 2)}\n`);
		this.#cache = undefined;
	}
}
