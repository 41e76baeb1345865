import {randomUUID} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import type {AddressInfo} from 'node:net';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {FleetError} from '../core/domain/errors.js';
import type {Fleet} from '../core/fleet.js';
import type {Logger} from '../core/ports/logger.js';
import type {Scheduler} from '../core/scheduler.js';
import {FAILED_ATTEMPTS_WINDOW_MS, FailedAttempts} from './failed-attempts.js';
import {authenticate, checkHostAndOrigin} from './guards.js';
import {checkExposure, isWildcard, publicUrl, type HttpSettings} from './http-settings.js';
import {createMcpEndpoint} from './mcp-endpoint.js';
import {findRoute, HttpError, sendError, type HttpRoute, type HttpServices} from './router.js';
import {ROUTES} from './routes.js';
import {OpenRequests} from './open-requests.js';
import {TokenFile, TokenFileError} from './token-store.js';
import {ToolCaller} from './tool-caller.js';

/** How long close() lets open streams (SSE, MCP GETs) end before it cuts them. */
const CLOSE_GRACE_MS = 1000;
/** How soon a revoked token's open streams and MCP sessions end (the file's stat is all it costs while unchanged). */
export const REVOCATION_CHECK_MS = 1000;

export type HttpListener = {
	/** The URL clients use, e.g. http://127.0.0.1:7777 (the real port when 0 was asked for). */
	readonly url: string;
	readonly port: number;
	/** Stops listening, ends every MCP session and stream. Idempotent. */
	close(): Promise<void>;
};

export type StartHttpOptions = {
	settings: HttpSettings;
	fleet: Fleet;
	scheduler?: Scheduler;
	tokenFile: string;
	/** One MCP server per session (and per token for REST), as the socket makes one per connection. */
	createMcpServer: () => McpServer;
	logger: Logger;
	/** Where the --insecure warning goes. @default process.stderr */
	warn?: (line: string) => void;
};

/**
 * Serves the fleet over HTTP(S): MCP over streamable HTTP at /mcp, the REST API, its OpenAPI document, and what else
 * ROUTES lists. Every request passes the Host/Origin check; every route but public ones needs a bearer token.
 */
export async function startHttpServer(options: StartHttpOptions): Promise<HttpListener> {
	const {settings, logger} = options;
	const warning = checkExposure(settings);
	if (warning) (options.warn ?? (line => process.stderr.write(`${line}\n`)))(warning);
	const tokens = new TokenFile(options.tokenFile);
	const attempts = new FailedAttempts(Date.now, client =>
		logger.warn('HTTP requests refused: too many wrong tokens', {address: client, forSeconds: FAILED_ATTEMPTS_WINDOW_MS / 1000}),
	);
	const tools = new ToolCaller(options.createMcpServer);
	const mcp = createMcpEndpoint(options.createMcpServer, logger);
	const routes: HttpRoute[] = [mcp.route, ...ROUTES];
	const services: HttpServices = {fleet: options.fleet, tools, ...(options.scheduler ? {scheduler: options.scheduler} : {})};
	const hostNames = settings.hostNames.concat(isWildcard(settings.host) ? [] : [settings.host.toLowerCase()]);
	const open = new OpenRequests();
	const revocations = setInterval(() => {
		if (open.size === 0 && mcp.sessionCount() === 0) return;
		const valid = tokens.validIds();
		open.endWhere(tokenId => !valid.has(tokenId));
		void mcp.closeSessionsWhere(tokenId => !valid.has(tokenId));
	}, REVOCATION_CHECK_MS);
	revocations.unref();

	const handle = async (request: IncomingMessage, response: ServerResponse) => {
		response.setHeader('X-Content-Type-Options', 'nosniff');
		response.setHeader('Cache-Control', 'no-store');
		try {
			checkHostAndOrigin(request, hostNames);
			const url = new URL(request.url ?? '/', 'http://ccfleet.invalid');
			const match = findRoute(routes, request.method ?? 'GET', url.pathname);
			const isPublic = match !== undefined && 'route' in match && match.route.access === 'public';
			const holder = isPublic ? undefined : authenticate(request, tokens, attempts);
			if (holder) open.add(response, holder);
			if (!match) throw new HttpError(404, `No route ${url.pathname}. The API is described at /openapi.json; MCP is at /mcp.`);
			if (!('route' in match)) {
				throw new HttpError(405, `${url.pathname} takes ${match.allowed.join(', ')}, not ${request.method}.`, {Allow: match.allowed.join(', ')});
			}
			if (match.route.access === 'write' && holder?.isReadOnly) {
				throw new HttpError(
					403,
					`The token "${holder.name}" is read-only and ${request.method} ${url.pathname} changes the fleet. Use a token made without --read-only.`,
				);
			}
			await match.route.handle({request, response, url, params: match.params, holder, services});
		} catch (error) {
			if (error instanceof HttpError && error.status === 401 && request.headers.authorization) {
				// Someone holds a wrong token (or guesses): worth a line in the daemon's log, with where it came from. At most
				// MAX_FAILED_ATTEMPTS per client and window; the 429s after them are told once, by `attempts`.
				logger.warn('an HTTP request with a wrong token', {address: request.socket.remoteAddress});
			}
			if (error instanceof HttpError) sendError(response, error.status, error.message, error.headers);
			else if (error instanceof TokenFileError) {
				// The file's path and the parser's words are for the fleet's owner, not for whoever knocks.
				logger.error(error.message);
				sendError(response, 503, 'The fleet cannot check tokens now: its token file is damaged. On the fleet machine, the daemon log says which file and what to do.');
			} else if (error instanceof FleetError) sendError(response, 400, error.message);
			else {
				// An unexpected error's message can hold paths and internals: the client gets a reference to find it in the log.
				const reference = randomUUID().slice(0, 8);
				logger.error('an HTTP request failed', {
					reference,
					method: request.method,
					path: request.url?.split('?')[0],
					error: String(error),
					stack: (error as Error)?.stack,
				});
				sendError(
					response,
					500,
					`ccfleet could not do that: an internal error (reference ${reference}). The daemon log on the fleet machine has its details under that reference.`,
				);
			}
		}
	};

	const listener = (request: IncomingMessage, response: ServerResponse) => void handle(request, response);
	const server: Server = settings.tls
		? createHttpsServer({cert: readPem(settings.tls.certPath, 'certificate'), key: readPem(settings.tls.keyPath, 'private key')}, listener)
		: createHttpServer(listener);
	await new Promise<void>((resolve, reject) => {
		server.once('error', (error: NodeJS.ErrnoException) => {
			const reason =
				error.code === 'EADDRINUSE'
					? 'something else listens there; choose another port'
					: error.code === 'EACCES'
						? 'not allowed (a port below 1024 needs root)'
						: error.message;
			reject(new FleetError(`Cannot serve HTTP on ${settings.host}:${settings.port}: ${reason}.`, {cause: error}));
		});
		server.listen(settings.port, settings.host, () => resolve());
	});
	server.on('error', error => logger.error('the HTTP server failed', {error: String(error)}));
	const {port} = server.address() as AddressInfo;
	const url = publicUrl(settings, port);

	let closing: Promise<void> | undefined;
	const close = async () => {
		const closed = new Promise<void>(resolve => server.close(() => resolve()));
		clearInterval(revocations);
		// Streams end now, cleanly (their clients see the end, not a cut): a stop should not wait on a phone's page.
		open.endStreams();
		await mcp.close();
		await tools.close();
		server.closeIdleConnections();
		const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
		grace.unref();
		await closed;
		clearTimeout(grace);
	};
	return {url, port, close: () => (closing ??= close())};
}

function readPem(file: string, what: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		throw new FleetError(`Cannot read the TLS ${what} ${file}: ${(error as Error).message}. Give a PEM file with --tls-cert / --tls-key.`);
	}
}
