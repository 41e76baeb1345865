import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Fleet} from '../core/fleet.js';
import type {Scheduler} from '../core/scheduler.js';
import type {TokenHolder} from './token-store.js';
import type {ToolCaller} from './tool-caller.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * Who may use a route: `public` needs no token (the page and its assets, which then ask for one); `read` any valid
 * token; `write` a token that is not read-only (403 for a read-only one).
 */
export type RouteAccess = 'public' | 'read' | 'write';

/** What the core hands every route. */
export type HttpServices = {fleet: Fleet; scheduler?: Scheduler; tools: ToolCaller};

export type RouteContext = {
	request: IncomingMessage;
	response: ServerResponse;
	url: URL;
	/** The `:name` parts of the path, decoded; `*` holds the rest of the path for a route ending in `/*`. */
	params: Record<string, string>;
	/** The token's holder; undefined on public routes. */
	holder: TokenHolder | undefined;
	services: HttpServices;
};

/**
 * One route: `path` is literal segments, `:name` segments, and optionally a final `*` (any rest, e.g. `/assets/*`).
 * A handler writes the response itself (sendJson, sendError) or throws an HttpError.
 */
export type HttpRoute = {
	method: HttpMethod | readonly HttpMethod[];
	path: string;
	access: RouteAccess;
	/** One line for the OpenAPI document; routes without one are left out of it. */
	summary?: string;
	handle(context: RouteContext): Promise<void> | void;
};

/** A refusal with its status; the server sends it as {"error": message}. */
export class HttpError extends Error {
	override name = 'HttpError';
	constructor(
		readonly status: number,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

export type RouteMatch = {route: HttpRoute; params: Record<string, string>};

const methodsOf = (route: HttpRoute): readonly HttpMethod[] => (typeof route.method === 'string' ? [route.method] : route.method);

function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
	const want = pattern.split('/').filter(Boolean);
	const got = pathname.split('/').filter(Boolean);
	const params: Record<string, string> = {};
	for (const [index, part] of want.entries()) {
		if (part === '*' && index === want.length - 1) {
			params['*'] = got.slice(index).join('/');
			return params;
		}
		const segment = got[index];
		if (segment === undefined) return undefined;
		if (part.startsWith(':')) {
			try {
				params[part.slice(1)] = decodeURIComponent(segment);
			} catch {
				return undefined;
			}
		} else if (part !== segment) return undefined;
	}
	return got.length === want.length ? params : undefined;
}

/**
 * The route for a request; `{allowed}` when the path exists but not for this method (a 405 with Allow), undefined
 * when no route has the path.
 */
export function findRoute(routes: readonly HttpRoute[], method: string, pathname: string): RouteMatch | {allowed: HttpMethod[]} | undefined {
	const allowed: HttpMethod[] = [];
	for (const route of routes) {
		const params = matchPath(route.path, pathname);
		if (!params) continue;
		if (methodsOf(route).includes(method as HttpMethod)) return {route, params};
		allowed.push(...methodsOf(route));
	}
	return allowed.length > 0 ? {allowed: [...new Set(allowed)]} : undefined;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (response.headersSent) {
		response.end();
		return;
	}
	const text = JSON.stringify(body);
	response.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers});
	response.end(text);
}

export function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
	sendJson(response, status, {error: message}, headers);
}
