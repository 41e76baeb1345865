import {type Socket} from 'node:net';
import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import {listenOnSocket, type SocketListener} from '../../source/mcp/socket-server.js';
import {SocketTransport} from '../../source/mcp/socket-transport.js';

export type EchoCore = {
	listener: SocketListener;
	/** One McpServer per live connection. */
	readonly servers: Set<McpServer>;
	/** Connections accepted so far, closed or not. */
	readonly connectionCount: number;
	/** Resolves when the `wait` tool has been entered `count` times in total. */
	waitEntered(count: number): Promise<void>;
	/** Lets every pending `wait` call return. */
	releaseWaits(): void;
	/** Resolves once `count` connections have closed. */
	waitClosed(count: number): Promise<void>;
	serverErrors: Error[];
};

function createDeferredCounter() {
	let value = 0;
	const waiters: Array<{count: number; resolve: () => void}> = [];
	return {
		get value() {
			return value;
		},
		increment() {
			value++;
			for (const waiter of waiters.filter(waiter => waiter.count <= value)) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve();
			}
		},
		async reach(count: number) {
			if (value >= count) return;
			await new Promise<void>(resolve => {
				waiters.push({count, resolve});
			});
		},
	};
}

/** A stand-in core: an `echo` tool and a `wait` tool (returns when the test says so), one McpServer per connection. */
export async function startEchoCore(socketPath: string): Promise<EchoCore> {
	const servers = new Set<McpServer>();
	const entered = createDeferredCounter();
	const closed = createDeferredCounter();
	const serverErrors: Error[] = [];
	let connectionCount = 0;
	let releaseWaits!: () => void;
	let waitsReleased = new Promise<void>(resolve => {
		releaseWaits = resolve;
	});

	const createServer = () => {
		const server = new McpServer({name: 'echo-core', version: '0.0.0'});
		server.registerTool('echo', {description: 'Returns its text', inputSchema: {text: z.string()}}, async ({text}) => ({
			content: [{type: 'text', text}],
		}));
		server.registerTool('wait', {description: 'Returns when the test releases it'}, async () => {
			entered.increment();
			await waitsReleased;
			return {content: [{type: 'text', text: 'released'}]};
		});
		return server;
	};

	const handleConnection = (socket: Socket) => {
		connectionCount++;
		const server = createServer();
		servers.add(server);
		const transport = new SocketTransport(socket);
		transport.onclose = () => {
			servers.delete(server);
			closed.increment();
		};

		server.server.onerror = error => serverErrors.push(error);
		server.connect(transport).catch((error: unknown) => serverErrors.push(error as Error));
	};

	const listener = await listenOnSocket(socketPath, handleConnection);
	return {
		listener,
		servers,
		get connectionCount() {
			return connectionCount;
		},
		waitEntered: async count => entered.reach(count),
		releaseWaits() {
			releaseWaits();
			waitsReleased = new Promise<void>(resolve => {
				releaseWaits = resolve;
			});
		},
		waitClosed: async count => closed.reach(count),
		serverErrors,
	};
}
