import {Client} from '@modelcontextprotocol/sdk/client/index.js';
import {connectToSocket} from './socket-server.js';
import {SocketTransport} from './socket-transport.js';

export type ConnectMcpClientOptions = {
	/** Client name the core sees in `initialize` (e.g. 'ccfleet-cli'). */
	name: string;
	/** @default '0.0.0' */
	version?: string;
	/** For the socket connection only; the MCP handshake has the SDK's own request timeout. */
	timeoutMs?: number;
};

export type McpClientConnection = {
	client: Client;
	/** Ends the MCP session and the socket; idempotent. A property, so that it can be taken off the object. */
	close: () => Promise<void>;
};

/**
 * Connects an MCP `Client` to the core's socket and completes the handshake.
 * Rejects with `NoCoreRunningError` when no core listens there.
 */
export async function connectMcpClient(socketPath: string, options: ConnectMcpClientOptions): Promise<McpClientConnection> {
	const socket = await connectToSocket(socketPath, options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs});
	const client = new Client({name: options.name, version: options.version ?? '0.0.0'});
	try {
		await client.connect(new SocketTransport(socket));
	} catch (error) {
		socket.destroy();
		throw error;
	}

	let closing: Promise<void> | undefined;
	return {
		client,
		close: () => (closing ??= client.close()),
	};
}
