import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js';
import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {CallToolResultSchema, type CallToolResult, type Tool} from '@modelcontextprotocol/sdk/types.js';

/** A REST call's answer: the tool's structured content, or its refusal in one sentence. */
export type ToolAnswer = {isError: false; structured: Record<string, unknown>} | {isError: true; message: string};

/**
 * Calls the MCP tools for the REST routes, in process, through the very tool registry the MCP clients reach: the same
 * argument checks, the same refusals, the same structured results. One in-memory connection per token name, so the
 * fleet records who did what as `mcp:http:<token name>` (cancel_task's `by`, an answer's author).
 */
export class ToolCaller {
	readonly #clients = new Map<string, Promise<{client: Client; server: McpServer}>>();
	#tools: Promise<Tool[]> | undefined;

	constructor(private readonly createServer: () => McpServer) {}

	async call(who: string, tool: string, args: Record<string, unknown>): Promise<ToolAnswer> {
		const {client} = await this.#connection(who);
		const result = (await client.callTool({name: tool, arguments: args}, CallToolResultSchema)) as CallToolResult;
		if (result.isError) {
			const text = result.content.find(part => part.type === 'text')?.text;
			return {isError: true, message: text ?? `${tool} failed without saying why.`};
		}
		return {isError: false, structured: result.structuredContent ?? {}};
	}

	/** The tool list as MCP clients see it (input and output JSON Schemas from the tools' zod schemas). */
	async tools(): Promise<Tool[]> {
		this.#tools ??= this.#connection('openapi').then(async ({client}) => (await client.listTools()).tools);
		// A failure is not kept: /openapi.json would otherwise answer 500 until the core restarts.
		return this.#tools.catch((error: unknown) => {
			this.#tools = undefined;
			throw error;
		});
	}

	async close(): Promise<void> {
		const connections = [...this.#clients.values()];
		this.#clients.clear();
		for (const connection of connections) {
			try {
				const {client, server} = await connection;
				await client.close();
				await server.close();
			} catch {
				// Closing an in-memory pair cannot fail in a way worth telling at shutdown.
			}
		}
	}

	#connection(who: string): Promise<{client: Client; server: McpServer}> {
		let connection = this.#clients.get(who);
		if (!connection) {
			connection = (async () => {
				const server = this.createServer();
				const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
				await server.connect(serverSide);
				const client = new Client({name: `http:${who}`, version: '0.1.0'});
				await client.connect(clientSide);
				return {client, server};
			})();
			this.#clients.set(who, connection);
			// A failed connection is not kept: the next call tries afresh.
			connection.catch(() => this.#clients.delete(who));
		}
		return connection;
	}
}
