import {randomUUID} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {isInitializeRequest, type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';
import type {Logger} from '../core/ports/logger.js';
import {NO_SESSION_DIRECTORY} from '../mcp/tools/session-directory.js';
import {readJsonBody} from './request-body.js';
import {HttpError, sendJson, type HttpRoute, type RouteContext} from './router.js';
import {readOnlyRefusal} from './read-only-access.js';
import type {TokenHolder} from './token-store.js';

/** Sessions one token keeps open at most; opening one more closes its least recently used (a client that restarts without a DELETE leaves its old one). */
export const MAX_SESSIONS_PER_TOKEN = 32;
/** A session no request touched for this long is closed (its client went away without a DELETE). */
export const MCP_SESSION_IDLE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 5 * 60_000;

/** Over HTTP the client's own directory is on its machine (or at least not known here): the refusal says so. */
const HTTP_NO_DIRECTORY =
	'cwd is missing. Over HTTP ccfleet cannot take your directory from your session (this client declares no roots), and your directory may be on another machine. ' +
	'Give cwd: the absolute path of the project directory on the fleet machine.';
const SESSION_DIRECTORY_NOTE = "(It is this session's directory; give cwd.)";
const HTTP_SESSION_DIRECTORY_NOTE = '(It is the root your client declared; over HTTP that may be a path on another machine. Give cwd: a directory on the fleet machine.)';

/** `tokenId`: the token that opened the session, the only one that may use it. */
type Session = {transport: StreamableHTTPServerTransport; server: McpServer; tokenId: string; lastSeen: number; open: number};

const rpcError = (code: number, message: string, id: unknown = null) => ({jsonrpc: '2.0', error: {code, message}, id});

/** A tool result whose refusal speaks of "this session's directory" as if the client were local, told for HTTP. */
function forHttp(message: JSONRPCMessage): JSONRPCMessage {
	const result = (message as {result?: {isError?: boolean; content?: {type: string; text?: string}[]}}).result;
	const first = result?.isError ? result.content?.[0] : undefined;
	if (!first?.text) return message;
	if (first.text === NO_SESSION_DIRECTORY) first.text = HTTP_NO_DIRECTORY;
	else if (first.text.endsWith(SESSION_DIRECTORY_NOTE)) first.text = `${first.text.slice(0, -SESSION_DIRECTORY_NOTE.length)}${HTTP_SESSION_DIRECTORY_NOTE}`;
	return message;
}

const REFUSED = Symbol('refused');

/** The body of a POST; a body that is too large or not JSON is refused in JSON-RPC (-32600, -32700), as MCP clients read errors. */
async function readMcpBody(request: IncomingMessage, response: ServerResponse): Promise<unknown> {
	try {
		return await readJsonBody(request);
	} catch (error) {
		if (!(error instanceof HttpError)) throw error;
		sendJson(response, error.status, rpcError(error.status === 413 ? -32600 : -32700, error.message), error.headers);
		return REFUSED;
	}
}

/**
 * MCP over streamable HTTP at /mcp: a session per initialize, each with its own McpServer from `createServer` (the
 * same tools and resources as the socket), bound to the token that opened it.
 */
export type McpEndpoint = {
	route: HttpRoute;
	sessionCount(): number;
	/** Closes the sessions of the tokens `isRevoked` says are gone (their GET streams end with them). */
	closeSessionsWhere(isRevoked: (tokenId: string) => boolean): Promise<void>;
	close(): Promise<void>;
};

export function createMcpEndpoint(createServer: () => McpServer, logger: Logger): McpEndpoint {
	const sessions = new Map<string, Session>();
	const sweeper = setInterval(() => {
		const now = Date.now();
		for (const session of sessions.values()) {
			// A session with a stream open (a GET listening for notifications) is in use however quiet it is.
			if (session.open > 0) session.lastSeen = now;
			else if (now - session.lastSeen > MCP_SESSION_IDLE_MS) void session.server.close();
		}
	}, SWEEP_EVERY_MS);
	sweeper.unref();

	const open = async (holder: TokenHolder): Promise<Session> => {
		const own = [...sessions.values()].filter(session => session.tokenId === holder.tokenId);
		if (own.length >= MAX_SESSIONS_PER_TOKEN) {
			const oldest = own.reduce((least, session) => (session.lastSeen < least.lastSeen ? session : least));
			await oldest.server.close();
		}
		const server = createServer();
		const session = {server, tokenId: holder.tokenId, lastSeen: Date.now(), open: 0} as Session;
		const transport = new StreamableHTTPServerTransport({sessionIdGenerator: randomUUID, onsessioninitialized: id => void sessions.set(id, session)});
		session.transport = transport;
		const send = transport.send.bind(transport);
		transport.send = (message, options) => send(forHttp(message), options);
		transport.onclose = () => {
			if (transport.sessionId) sessions.delete(transport.sessionId);
		};
		await server.connect(transport);
		return session;
	};

	const handle = async ({request, response, holder}: RouteContext) => {
		const who = holder!;
		const sessionId = request.headers['mcp-session-id'];
		const body = request.method === 'POST' ? await readMcpBody(request, response) : undefined;
		if (body === REFUSED) return;
		let session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
		if (sessionId !== undefined && (!session || session.tokenId !== who.tokenId)) {
			// 404 tells a client its session is gone so it initializes again; another token's session is not told apart.
			sendJson(response, 404, rpcError(-32001, 'Session not found: it ended or the core restarted. Initialize a new session.'));
			return;
		}
		const isNew = !session;
		if (!session) {
			if (request.method !== 'POST' || !(Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body))) {
				sendJson(response, 400, rpcError(-32000, 'No Mcp-Session-Id header: start with an initialize request (POST), then send its session id with every request.'));
				return;
			}
			session = await open(who);
		}
		const forbidden = readOnlyRefusal(body, who);
		if (forbidden) {
			sendJson(
				response,
				403,
				rpcError(-32003, `The token "${who.name}" is read-only and ${forbidden.reason}. Use a token made without --read-only.`, forbidden.id ?? null),
			);
			return;
		}
		session.lastSeen = Date.now();
		session.open++;
		response.once('close', () => {
			session.open--;
			session.lastSeen = Date.now();
		});
		await session.transport.handleRequest(request, response, body);
		// An initialize the transport refused opened no session: its server is closed, not left behind.
		if (isNew && !session.transport.sessionId) await session.server.close();
	};

	const closeAll = async (ending: Session[]) => {
		for (const session of ending) {
			try {
				await session.server.close();
			} catch (error) {
				logger.warn('an MCP session over HTTP did not close cleanly', {error: String(error)});
			}
		}
	};

	return {
		route: {method: ['GET', 'POST', 'DELETE'], path: '/mcp', access: 'read', handle},
		sessionCount: () => sessions.size,
		closeSessionsWhere: isRevoked => closeAll([...sessions.values()].filter(session => isRevoked(session.tokenId))),
		async close() {
			clearInterval(sweeper);
			const all = [...sessions.values()];
			sessions.clear();
			await closeAll(all);
		},
	};
}
