import type {IncomingMessage} from 'node:http';
import {HttpError} from './router.js';
import {LOOPBACK_NAMES} from './http-settings.js';
import type {FailedAttempts} from './failed-attempts.js';
import type {TokenFile, TokenHolder} from './token-store.js';

const TOKEN_HELP = 'Create one on the fleet machine with `ccfleet token create --name <name>` and send it as `Authorization: Bearer <token>`.';

/** The host name of a Host header or an Origin, lower-cased, without port or IPv6 brackets. */
function hostNameOf(value: string): string | undefined {
	try {
		return new URL(value.includes('://') ? value : `http://${value}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
	} catch {
		return undefined;
	}
}

/**
 * Refuses a request whose Host or Origin names a host this server was not told it goes by: a web page on another
 * site whose name was rebound to 127.0.0.1 (DNS rebinding) must not reach the fleet through the user's browser.
 */
export function checkHostAndOrigin(request: IncomingMessage, names: readonly string[]): void {
	const accepted = new Set([...LOOPBACK_NAMES, ...names]);
	const list = [...accepted].join(', ');
	const host = request.headers.host;
	const hostName = host ? hostNameOf(host) : undefined;
	if (!hostName || !accepted.has(hostName)) {
		throw new HttpError(
			403,
			`Host "${host ?? ''}" is not a name this server answers to (DNS rebinding protection). Accepted: ${list}. Add a name with --host-name (CCFLEET_HTTP_HOST_NAMES).`,
		);
	}
	const origin = request.headers.origin;
	if (origin === undefined) return;
	const originName = hostNameOf(origin);
	if (!originName || !accepted.has(originName)) {
		throw new HttpError(
			403,
			`Origin "${origin}" is not allowed: only pages served by this fleet itself (${list}) may call it. Add a name with --host-name (CCFLEET_HTTP_HOST_NAMES).`,
		);
	}
}

/** The holder of the request's bearer token; 401 (and a recorded attempt, when a token was given) otherwise. */
export function authenticate(request: IncomingMessage, tokens: TokenFile, attempts: FailedAttempts): TokenHolder {
	const address = request.socket.remoteAddress ?? 'unknown';
	attempts.check(address);
	const header = request.headers.authorization;
	const challenge = {'WWW-Authenticate': 'Bearer realm="ccfleet"'};
	if (!header) throw new HttpError(401, `This needs a token: no Authorization header was sent. ${TOKEN_HELP}`, challenge);
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
	if (!match) attempts.record(address);
	if (!match) throw new HttpError(401, `The Authorization header must be "Bearer <token>". ${TOKEN_HELP}`, challenge);
	const holder = tokens.verify(match[1]!);
	if (!holder) {
		attempts.record(address);
		throw new HttpError(401, `The token is not valid (revoked, mistyped, or from another machine). ${TOKEN_HELP}`, {
			'WWW-Authenticate': 'Bearer realm="ccfleet", error="invalid_token"',
		});
	}
	return holder;
}
