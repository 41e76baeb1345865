import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {chmod, chown, lstat, mkdir, mkdtemp, rm, stat, writeFile} from 'node:fs/promises';
import {createConnection, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {connectToSocket, CoreAlreadyRunningError, listenOnSocket, NoCoreRunningError, type SocketListener} from '../../source/mcp/socket-server.js';

let root: string;
let socketPath: string;
const listeners: SocketListener[] = [];

beforeEach(async () => {
	root = await mkdtemp(join(tmpdir(), 'ccf-'));
	socketPath = join(root, 'run', 'core.sock');
});

afterEach(async () => {
	await Promise.all(listeners.splice(0).map(async listener => listener.close()));
	await rm(root, {recursive: true, force: true});
});

async function listen(onConnection: (socket: Socket) => void = () => {}): Promise<SocketListener> {
	const listener = await listenOnSocket(socketPath, onConnection);
	listeners.push(listener);
	return listener;
}

/** Leaves a socket file behind the way a SIGKILLed core does. */
async function leaveStaleSocket(path: string): Promise<void> {
	const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	await once(child.stdout, 'data');
	child.kill('SIGKILL');
	await once(child, 'exit');
}

describe('listenOnSocket', () => {
	it('creates a private directory (0700) and a private socket (0600)', async () => {
		await listen();
		expect((await stat(join(root, 'run'))).mode & 0o777).toBe(0o700);
		const info = await lstat(socketPath);
		expect(info.isSocket()).toBe(true);
		expect(info.mode & 0o777).toBe(0o600);
	});

	it('tightens an existing directory that others can read', async () => {
		await mkdir(join(root, 'run'), {mode: 0o755});
		await chmod(join(root, 'run'), 0o755);
		await listen();
		expect((await stat(join(root, 'run'))).mode & 0o777).toBe(0o700);
	});

	it.skipIf(process.getuid?.() !== 0)('refuses a directory owned by another user', async () => {
		await mkdir(join(root, 'run'), {mode: 0o700});
		await chown(join(root, 'run'), 65_534, 65_534);
		await expect(listenOnSocket(socketPath, () => {})).rejects.toThrow(/belongs to another user/);
	});

	it('hands each connection to onConnection', async () => {
		const accepted: Socket[] = [];
		await listen(socket => accepted.push(socket));
		const client = await connectToSocket(socketPath);
		await expect.poll(() => accepted.length).toBe(1);
		client.destroy();
	});

	it('refuses to start while a live server answers on the socket', async () => {
		await listen();
		const attempt = listenOnSocket(socketPath, () => {});
		await expect(attempt).rejects.toBeInstanceOf(CoreAlreadyRunningError);
		await expect(attempt).rejects.toThrow(/another ccfleet core already serves this state directory/i);
		// The live server keeps its socket.
		await connectToSocket(socketPath).then(socket => socket.destroy());
	});

	it('replaces a socket file left by a killed server', async () => {
		await mkdir(join(root, 'run'), {mode: 0o700});
		await leaveStaleSocket(socketPath);
		expect((await lstat(socketPath)).isSocket()).toBe(true);
		await expect(connectToSocket(socketPath)).rejects.toBeInstanceOf(NoCoreRunningError);

		await listen();
		await connectToSocket(socketPath).then(socket => socket.destroy());
	});

	it('refuses to delete a file that is not a socket', async () => {
		await mkdir(join(root, 'run'), {mode: 0o700});
		await writeFile(socketPath, 'precious');
		await expect(listenOnSocket(socketPath, () => {})).rejects.toThrow(/is not a socket/);
	});

	it('rejects a path too long for a Unix socket', async () => {
		await expect(listenOnSocket(join(root, 'x'.repeat(120), 'core.sock'), () => {})).rejects.toThrow(/longer than/);
	});

	it('close() ends live connections and removes the socket file, once', async () => {
		const listener = await listen();
		const client = await connectToSocket(socketPath);
		const clientClosed = once(client, 'close');
		await Promise.all([listener.close(), listener.close()]);
		await clientClosed;
		await expect(lstat(socketPath)).rejects.toMatchObject({code: 'ENOENT'});
		await expect(connectToSocket(socketPath)).rejects.toBeInstanceOf(NoCoreRunningError);
	});

	it('close() does not wait forever for a client that keeps its side open', async () => {
		const listener = await listen();
		// A half-open client never ends its side after the server's FIN, so the server has to cut it.
		const client = createConnection({path: socketPath, allowHalfOpen: true});
		await once(client, 'connect');
		client.on('end', () => {});
		const started = Date.now();
		await listener.close();
		expect(Date.now() - started).toBeLessThan(5000);
		client.destroy();
	});
});

describe('connectToSocket', () => {
	it('rejects with NoCoreRunningError when there is no socket', async () => {
		const attempt = connectToSocket(join(root, 'missing', 'core.sock'));
		await expect(attempt).rejects.toBeInstanceOf(NoCoreRunningError);
		await expect(attempt).rejects.toThrow(/No ccfleet core is running/);
	});

	it('rejects with NoCoreRunningError when the socket file is stale', async () => {
		await mkdir(join(root, 'run'), {mode: 0o700});
		await leaveStaleSocket(socketPath);
		await expect(connectToSocket(socketPath)).rejects.toBeInstanceOf(NoCoreRunningError);
	});
});
