import {type Stats} from 'node:fs';
import {chmod, lstat, mkdir, stat, unlink} from 'node:fs/promises';
import {createConnection, createServer, type Socket} from 'node:net';
import {dirname} from 'node:path';
import {FleetError} from '../core/domain/errors.js';

/** How long the stale-socket probe and a client connection wait for the core to accept. */
export const SOCKET_CONNECT_TIMEOUT_MS = 2000;
/** How long `close()` lets live connections finish before destroying them. */
const SOCKET_SERVER_CLOSE_GRACE_MS = 1000;
/** sun_path holds 108 bytes on Linux and 104 on macOS, NUL included; longer paths are silently truncated by libuv. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** Nothing listens on the socket: the CLI catches this to start a daemon. */
export class NoCoreRunningError extends FleetError {
	constructor(
		readonly socketPath: string,
		options?: ErrorOptions,
	) {
		super(`No ccfleet core is running (nothing listens on ${socketPath}). Start one with \`ccfleet --daemon\` or open the dashboard with \`ccfleet\`.`, options);
	}
}

/** A live core already listens on the socket of this state directory. */
export class CoreAlreadyRunningError extends FleetError {
	constructor(readonly socketPath: string) {
		super(`Another ccfleet core already serves this state directory (it answers on ${socketPath}). Use it (\`ccfleet status\`) or stop it first.`);
	}
}

export type SocketListener = {
	readonly socketPath: string;
	/** Stops accepting, ends every live connection and removes the socket file; idempotent. */
	close(): Promise<void>;
};

export type ListenOnSocketOptions = {
	/** Errors of the listening server after it started (accept failures); connection errors belong to the connection's owner. */
	onError?: (error: Error) => void;
};

export type ConnectToSocketOptions = {
	/** @default SOCKET_CONNECT_TIMEOUT_MS */
	timeoutMs?: number;
};

function errnoCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

function assertSocketPathFits(socketPath: string): void {
	if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
		throw new FleetError(`The socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket allows. Use a shorter state directory.`);
	}
}

/**
 * Makes the socket's directory private to this user: created with mode 0700, tightened to 0700 if it exists with wider
 * permissions, and refused if another user owns it (that user could swap the socket for their own).
 */
async function preparePrivateDirectory(directory: string): Promise<void> {
	await mkdir(directory, {recursive: true, mode: 0o700});
	const info = await stat(directory);
	if (!info.isDirectory()) throw new FleetError(`${directory} should be the directory for the ccfleet socket but is not a directory.`);
	const uid = process.getuid?.();
	if (uid !== undefined && info.uid !== uid) {
		throw new FleetError(
			`The socket directory ${directory} belongs to another user (uid ${info.uid}). ccfleet only serves from a directory you own; choose another state directory.`,
		);
	}

	if ((info.mode & 0o077) !== 0) await chmod(directory, 0o700);
}

/** Whether a live server answers on the socket file; a file no one listens on is left from a core that died. */
async function isSocketAnswering(socketPath: string): Promise<boolean> {
	try {
		const probe = await connectToSocket(socketPath, {timeoutMs: SOCKET_CONNECT_TIMEOUT_MS});
		probe.destroy();
		return true;
	} catch (error) {
		if (error instanceof NoCoreRunningError) return false;
		// A timeout or a full backlog (EAGAIN) means someone is there but busy: never delete their socket.
		return true;
	}
}

async function removeStaleSocket(socketPath: string): Promise<void> {
	let info: Stats;
	try {
		info = await lstat(socketPath);
	} catch (error) {
		if (errnoCode(error) === 'ENOENT') return;
		throw error;
	}

	if (!info.isSocket()) throw new FleetError(`${socketPath} exists and is not a socket; move it away so ccfleet can listen there.`);
	if (await isSocketAnswering(socketPath)) throw new CoreAlreadyRunningError(socketPath);
	try {
		await unlink(socketPath);
	} catch (error) {
		if (errnoCode(error) !== 'ENOENT') throw error;
	}
}

/**
 * Listens on a Unix socket only this user can reach (directory 0700, socket 0600) and hands every accepted connection
 * to `onConnection`. A socket file left by a dead core is replaced; one a live core answers on is not
 * (`CoreAlreadyRunningError`).
 */
export async function listenOnSocket(socketPath: string, onConnection: (socket: Socket) => void, options: ListenOnSocketOptions = {}): Promise<SocketListener> {
	assertSocketPathFits(socketPath);
	await preparePrivateDirectory(dirname(socketPath));
	await removeStaleSocket(socketPath);

	const connections = new Set<Socket>();
	const server = createServer(socket => {
		connections.add(socket);
		// Until the owner attaches its own listener, an 'error' (a client resetting mid-call) must not crash the process.
		socket.on('error', () => {});
		socket.once('close', () => connections.delete(socket));
		try {
			onConnection(socket);
		} catch (error) {
			socket.destroy();
			options.onError?.(error as Error);
		}
	});

	await new Promise<void>((resolve, reject) => {
		const handleListenError = (error: Error) => {
			// Another core won the race between our probe and our listen.
			reject(errnoCode(error) === 'EADDRINUSE' ? new CoreAlreadyRunningError(socketPath) : error);
		};

		server.once('error', handleListenError);
		server.listen(socketPath, () => {
			server.off('error', handleListenError);
			resolve();
		});
	});
	server.on('error', error => options.onError?.(error));

	let ino: number;
	try {
		// The socket exists with the umask's mode until this chmod; the 0700 directory keeps others out meanwhile.
		await chmod(socketPath, 0o600);
		({ino} = await lstat(socketPath));
	} catch (error) {
		server.close();
		throw error;
	}

	let closing: Promise<void> | undefined;
	const close = async (): Promise<void> => {
		const serverClosed = new Promise<void>(resolve => {
			server.close(() => resolve());
		});
		for (const socket of connections) socket.end();
		const graceTimer = setTimeout(() => {
			for (const socket of connections) socket.destroy();
		}, SOCKET_SERVER_CLOSE_GRACE_MS);
		graceTimer.unref();
		await serverClosed;
		clearTimeout(graceTimer);

		// libuv usually unlinks the file itself; if a newer core replaced it meanwhile, it is theirs to keep.
		try {
			if ((await lstat(socketPath)).ino === ino) await unlink(socketPath);
		} catch (error) {
			if (errnoCode(error) !== 'ENOENT') throw error;
		}
	};

	return {
		socketPath,
		close() {
			closing ??= close();
			return closing;
		},
	};
}

/**
 * Connects to the core's socket. Rejects with `NoCoreRunningError` when nothing listens there (no socket file, or a
 * file left by a dead core), and with a descriptive error otherwise.
 */
export async function connectToSocket(socketPath: string, options: ConnectToSocketOptions = {}): Promise<Socket> {
	assertSocketPathFits(socketPath);
	const timeoutMs = options.timeoutMs ?? SOCKET_CONNECT_TIMEOUT_MS;

	return new Promise((resolve, reject) => {
		const socket = createConnection(socketPath);
		const timer = setTimeout(() => {
			socket.destroy();
			reject(
				new FleetError(
					`The ccfleet core at ${socketPath} did not accept a connection within ${timeoutMs} ms. It may be overloaded or stuck; check it with \`ccfleet status\` or restart it.`,
				),
			);
		}, timeoutMs);

		const handleError = (error: Error) => {
			clearTimeout(timer);
			socket.destroy();
			const code = errnoCode(error);
			if (code === 'ENOENT' || code === 'ECONNREFUSED') {
				reject(new NoCoreRunningError(socketPath, {cause: error}));
			} else if (code === 'EACCES') {
				reject(new FleetError(`Permission denied on the ccfleet socket ${socketPath}: it belongs to another user.`, {cause: error}));
			} else {
				reject(new FleetError(`Cannot connect to the ccfleet core at ${socketPath}: ${error.message}`, {cause: error}));
			}
		};

		socket.once('error', handleError);
		socket.once('connect', () => {
			clearTimeout(timer);
			socket.off('error', handleError);
			resolve(socket);
		});
	});
}
