import {ErrorCode, type JSONRPCMessage} from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC 2.0 error answer; `id` is null when the message's own id could not be read (the spec's rule). */
export type JsonRpcErrorLine = {jsonrpc: '2.0'; id: string | number | null; error: {code: number; message: string}};

const EXAMPLE = 'Send one JSON-RPC 2.0 object per line, e.g. {"jsonrpc":"2.0","id":1,"method":"tools/list"}.';

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is string | number {
	return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A line that is not JSON at all: -32700. */
export function parseErrorLine(reason: string): JsonRpcErrorLine {
	return {jsonrpc: '2.0', id: null, error: {code: ErrorCode.ParseError, message: `Parse error: the line is not JSON (${reason}). ${EXAMPLE}`}};
}

/** A line longer than the transport accepts; the connection is closed after this answer. */
export function tooLargeLine(maxBytes: number): JsonRpcErrorLine {
	return {
		jsonrpc: '2.0',
		id: null,
		error: {
			code: ErrorCode.InvalidRequest,
			message: `Invalid Request: a message is longer than ${maxBytes} bytes; closing the connection. Send smaller messages, one per line.`,
		},
	};
}

/**
 * Whether a JSON value that failed the message schema was meant as a response (it has a result or an error and no
 * method). A response is never answered: two peers would otherwise answer each other's errors forever.
 */
export function looksLikeResponse(value: unknown): boolean {
	return isRecord(value) && !('method' in value) && ('result' in value || 'error' in value);
}

/** What is wrong with a JSON value that is not a JSON-RPC 2.0 request or notification, in one sentence. */
function describeInvalidRequest(value: unknown): string {
	if (Array.isArray(value)) return 'batches (a JSON array) are not accepted; send each message as its own object on its own line';
	if (!isRecord(value)) return `a message must be a JSON object, not ${kindOf(value)}`;
	if (value['jsonrpc'] !== '2.0') return `"jsonrpc" must be "2.0", got ${JSON.stringify(value['jsonrpc']) ?? 'nothing'}`;
	if (typeof value['method'] !== 'string') return `"method" must be a string naming an MCP method such as "tools/call", got ${kindOf(value['method'])}`;
	if ('id' in value && !isRequestId(value['id'])) return `"id" must be a string or a number, got ${kindOf(value['id'])}`;
	if ('params' in value && !isRecord(value['params'])) return `"params" must be an object, got ${kindOf(value['params'])}`;
	const unknown = Object.keys(value).filter(key => !['jsonrpc', 'id', 'method', 'params'].includes(key));
	if (unknown.length > 0)
		return `unknown member${unknown.length > 1 ? 's' : ''} ${unknown.map(key => JSON.stringify(key)).join(', ')}; a request has jsonrpc, id, method and params`;
	return 'it is not a JSON-RPC 2.0 request or notification';
}

/** A JSON value that is not a valid JSON-RPC message: -32600, with its id when it had a usable one. */
export function invalidRequestLine(value: unknown): JsonRpcErrorLine {
	const id = isRecord(value) && isRequestId(value['id']) ? value['id'] : null;
	return {jsonrpc: '2.0', id, error: {code: ErrorCode.InvalidRequest, message: `Invalid Request: ${describeInvalidRequest(value)}. ${EXAMPLE}`}};
}

type SchemaIssue = {path?: unknown; message?: unknown};

/** The SDK answers a request whose params fail its schema with -32603 and the raw zod issue list; null if `text` is not one. */
function readSchemaDump(text: string): SchemaIssue[] | null {
	if (!text.trimStart().startsWith('[')) return null;
	try {
		const parsed: unknown = JSON.parse(text);
		return Array.isArray(parsed) && parsed.length > 0 && parsed.every(issue => isRecord(issue) && 'message' in issue) ? (parsed as SchemaIssue[]) : null;
	} catch {
		return null;
	}
}

function describeIssue(issue: SchemaIssue): string {
	const where = Array.isArray(issue.path) && issue.path.length > 0 ? issue.path.join('.') : 'the request';
	const what = String(issue.message)
		.replace(/^Invalid input: /, '')
		.replace(/expected record/, 'expected an object');
	return `${where}: ${what}`;
}

/**
 * Turns the SDK's internal errors for a client's bad request into invalid-params errors (-32602) that say, in a line,
 * what is wrong for which method: its raw schema dump for bad params, and the bare "Invalid URL" of resources/read.
 * Every other message passes unchanged.
 */
export function clarifySdkError(message: JSONRPCMessage, method: string | undefined): JSONRPCMessage {
	if (!('error' in message) || message.error.code !== Number(ErrorCode.InternalError)) return message;
	const invalidParams = (text: string): JSONRPCMessage => ({...message, error: {code: ErrorCode.InvalidParams, message: `Invalid params: ${text}`}});
	if (method === 'resources/read' && message.error.message === 'Invalid URL') {
		return invalidParams('the uri of resources/read is not an absolute URI. Use one that resources/list or resources/templates/list gives, e.g. ccfleet://tasks/<id>.');
	}
	const issues = readSchemaDump(message.error.message);
	if (!issues) return message;
	const subject = method ? `the params of ${method}` : 'the request params';
	const hint = method === 'tools/call' ? ' A tool call needs params {"name": <tool>, "arguments": {…}}, arguments being an object; tools/list gives each schema.' : '';
	return invalidParams(`${subject} are wrong: ${issues.map(describeIssue).join('; ')}.${hint}`);
}
