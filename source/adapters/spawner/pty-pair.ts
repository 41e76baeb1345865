import {closeSync, write} from 'node:fs';
import {createRequire} from 'node:module';
import tty from 'node:tty';

/** node-pty's native part: openpty(3) and the window-size ioctl, without its fork. */
type NativePty = {
	open(columns: number, rows: number): {master: number; slave: number; pty: string};
	resize(fd: number, columns: number, rows: number): void;
};

let native: NativePty | undefined;

function nativePty(): NativePty {
	// node-pty finds its build (or prebuild) for this platform itself.
	native ??= (createRequire(import.meta.url)('node-pty/lib/utils.js') as {loadNativeModule(name: string): {module: NativePty}}).loadNativeModule('pty').module;
	return native;
}

/**
 * A pseudo-terminal the core opens for a worker started elsewhere (by the spawner): the core keeps the master end,
 * reads the worker's output from it, writes its keystrokes and sets its size; the spawner opens the slave end by
 * its path for the worker. The slave end opened here is held until the worker has its own (`releaseSlave`), so the
 * terminal does not hang up in between.
 */
export class PtyPair {
	readonly path: string;
	readonly #master: number;
	#slave: number | undefined;
	readonly #reader: tty.ReadStream;
	readonly #queue: Buffer[] = [];
	#isClosed = false;
	#onClosed: (() => void) | undefined;

	constructor(columns: number, rows: number) {
		const {master, slave, pty} = nativePty().open(columns, rows);
		this.#master = master;
		this.#slave = slave;
		this.path = pty;
		this.#reader = new tty.ReadStream(master);
		this.#reader.setEncoding('utf8');
		// EIO once every slave end is closed: the worker and whatever it started are gone.
		this.#reader.on('error', () => this.#closed());
		this.#reader.on('close', () => this.#closed());
	}

	onData(listener: (data: string) => void): void {
		this.#reader.on('data', listener);
	}

	/** Once, when the terminal hung up (its last output has been read) or was closed. */
	onClosed(listener: () => void): void {
		this.#onClosed = listener;
	}

	releaseSlave(): void {
		if (this.#slave === undefined) return;
		closeSync(this.#slave);
		this.#slave = undefined;
	}

	/** Queued, and written as the terminal takes it (a full pty buffer answers EAGAIN). */
	write(data: string): void {
		if (this.#isClosed || data.length === 0) return;
		this.#queue.push(Buffer.from(data));
		if (this.#queue.length === 1) this.#drain();
	}

	#drain(): void {
		const next = this.#queue[0];
		if (!next || this.#isClosed) return;
		write(this.#master, next, (error, written) => {
			if (error) {
				if (error.code === 'EAGAIN') setImmediate(() => this.#drain());
				else this.#queue.length = 0;
				return;
			}
			if (written < next.length) this.#queue[0] = next.subarray(written);
			else this.#queue.shift();
			this.#drain();
		});
	}

	resize(columns: number, rows: number): void {
		if (!this.#isClosed) nativePty().resize(this.#master, columns, rows);
	}

	close(): void {
		this.releaseSlave();
		this.#reader.destroy();
	}

	#closed(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#queue.length = 0;
		this.releaseSlave();
		if (!this.#reader.destroyed) this.#reader.destroy();
		this.#onClosed?.();
	}
}
