import fs from 'node:fs';
import path from 'node:path';
import {FleetError} from '../../core/domain/errors.js';
import {type OutputLog, type OutputRead, type OutputReadOptions} from '../../core/ports/task-store.js';

/** How much is read at a time when walking back from the end of a log for its last lines. */
const TAIL_CHUNK_BYTES = 64 * 1024;

/** Long enough for any marker (the byte count has at most 16 digits). */
const MARKER_PROBE_BYTES = 128;

const MARKER_PATTERN = /\n\[ccfleet: output truncated at (\d+) bytes \(MAX_OUTPUT_BUFFER\)\]\n$/;

/** A cut at the cap backs off at most this far, to the first byte of a UTF-8 character. */
const MAX_UTF8_BACKOFF_BYTES = 3;

/** Task ids become file names, so anything that could leave the directory or hide the file is refused. */
const SAFE_TASK_ID = /^[\w-][\w.-]*$/;

export type FileOutputLogOptions = {
	/** Output beyond this many bytes per task is dropped, after one line that says so. */
	maxBytes: number;
};

type LogState = {
	/** Opened on the first append and kept, so a chatty task does not reopen its file per chunk; closed once truncated. */
	fd: number | undefined;
	/** Bytes of output in the file, the truncation marker not included. */
	bytes: number;
	truncated: boolean;
};

export function truncationMarker(maxBytes: number): string {
	return `\n[ccfleet: output truncated at ${maxBytes} bytes (MAX_OUTPUT_BUFFER)]\n`;
}

/**
 * OutputLog that keeps each task's output in `<directory>/<taskId>.log` (directory 0700, files 0600:
 * output can hold secrets). Writes are synchronous, so what `append` accepted is in the file when it returns.
 */
export class FileOutputLog implements OutputLog {
	readonly #directory: string;
	readonly #maxBytes: number;
	readonly #logs = new Map<string, LogState>();
	#hasDirectory = false;
	#isClosed = false;

	constructor(directory: string, {maxBytes}: FileOutputLogOptions) {
		assertMaxBytes(maxBytes, 'FileOutputLog option maxBytes');
		this.#directory = directory;
		this.#maxBytes = maxBytes;
	}

	append(taskId: string, text: string, maxBytes: number = this.#maxBytes): void {
		if (this.#isClosed) throw new FleetError(`The output log in ${this.#directory} is closed; open a new FileOutputLog to write to it.`);
		if (maxBytes !== this.#maxBytes) assertMaxBytes(maxBytes, 'append argument maxBytes');
		if (text === '') return;
		const log = this.#open(taskId);
		if (log.truncated) return;

		const chunk = Buffer.from(text, 'utf8');
		const room = maxBytes - log.bytes;
		if (chunk.length <= room) {
			writeAll(log.fd!, chunk);
			log.bytes += chunk.length;
			return;
		}

		const fitting = chunk.subarray(0, utf8Boundary(chunk, Math.max(room, 0)));
		const kept = log.bytes + fitting.length;
		// A cap lowered below what is already written (a smaller MAX_OUTPUT_BUFFER after a restart) is stated as
		// where the output did stop, so that the marker always sits where it says and inspect can trust it.
		writeAll(log.fd!, Buffer.concat([fitting, Buffer.from(truncationMarker(Math.max(maxBytes, kept)), 'utf8')]));
		log.bytes = kept;
		log.truncated = true;
		// Nothing more will be written; the descriptor is better spent on a task that still runs.
		this.#release(log);
	}

	read(taskId: string, options: OutputReadOptions = {}): OutputRead {
		const {tailLines, sinceBytes} = options;
		if (tailLines !== undefined && (!Number.isSafeInteger(tailLines) || tailLines < 0)) {
			throw new TypeError(`read option tailLines must be a whole number ≥ 0, got ${String(tailLines)}.`);
		}
		assertSinceBytes(sinceBytes);

		const file = this.#file(taskId);
		let fd: number;
		try {
			fd = fs.openSync(file, 'r');
		} catch (error) {
			if (isErrno(error, 'ENOENT')) return {text: '', bytes: 0, truncated: false};
			throw error;
		}

		try {
			const size = fs.fstatSync(fd).size;
			const known = this.#logs.get(taskId);
			const {bytes, truncated} = known ?? inspect(fd, size);
			const text = sinceBytes !== undefined ? readFrom(fd, size, sinceBytes) : tailLines === undefined ? fs.readFileSync(fd, 'utf8') : readTail(fd, size, tailLines);
			return {text, bytes, truncated};
		} finally {
			fs.closeSync(fd);
		}
	}

	/**
	 * Closes the file of a task that will write no more (many tasks may exist; their descriptors should not).
	 * Nothing is lost: a later append reopens the file, and the cap still holds because its size and
	 * marker are read back from the file.
	 */
	closeTask(taskId: string): void {
		const log = this.#logs.get(taskId);
		if (!log) return;
		this.#logs.delete(taskId);
		this.#release(log);
	}

	close(): void {
		if (this.#isClosed) return;
		this.#isClosed = true;
		const logs = [...this.#logs.values()];
		this.#logs.clear();
		const failures: unknown[] = [];
		for (const log of logs) {
			try {
				this.#release(log);
			} catch (error) {
				failures.push(error);
			}
		}

		if (failures.length > 0) throw new AggregateError(failures, `Closing ${failures.length} output log file(s) in ${this.#directory} failed.`);
	}

	#release(log: LogState): void {
		if (log.fd === undefined) return;
		const {fd} = log;
		log.fd = undefined;
		fs.closeSync(fd);
	}

	#open(taskId: string): LogState {
		// A known log is either open or truncated (and then never written again).
		const known = this.#logs.get(taskId);
		if (known) return known;

		const file = this.#file(taskId);
		this.#ensureDirectory();
		const fd = fs.openSync(file, 'a+', 0o600);
		let log: LogState;
		try {
			log = {fd, ...inspect(fd, fs.fstatSync(fd).size)};
		} catch (error) {
			fs.closeSync(fd);
			throw error;
		}

		this.#logs.set(taskId, log);
		if (log.truncated) this.#release(log);
		return log;
	}

	#ensureDirectory(): void {
		if (this.#hasDirectory) return;
		try {
			const created = fs.mkdirSync(this.#directory, {recursive: true, mode: 0o700});
			// The umask may have cleared bits of the mode; the directory is ours, so set it exactly.
			if (created !== undefined) fs.chmodSync(this.#directory, 0o700);
		} catch (error) {
			throw new FleetError(
				`Cannot create the output log directory ${this.#directory}: ${(error as Error).message}. Check its parent's permissions or choose another directory.`,
				{
					cause: error,
				},
			);
		}

		this.#hasDirectory = true;
	}

	#file(taskId: string): string {
		if (!SAFE_TASK_ID.test(taskId)) {
			throw new TypeError(`Task id ${JSON.stringify(taskId)} cannot name an output log file; use letters, digits, '_', '-' and '.' only.`);
		}

		return path.join(this.#directory, `${taskId}.log`);
	}
}

/** Reads back the size and the cap's state from a log written before, by this process or an earlier one. */
function inspect(fd: number, size: number): {bytes: number; truncated: boolean} {
	const probeLength = Math.min(size, MARKER_PROBE_BYTES);
	const probe = Buffer.alloc(probeLength);
	readExactly(fd, probe, size - probeLength);
	const marker = MARKER_PATTERN.exec(probe.toString('latin1'));
	if (!marker) return {bytes: size, truncated: false};
	// latin1 maps byte to char one to one, so the match length is the marker's length in bytes.
	const before = size - marker[0].length;
	const stated = Number(marker[1]);
	// Output can end with a line that only looks like a marker (a worker printing another task's log); a real one
	// stands where the cap it names was reached, so that output is not mistaken for a full log and cut off.
	const isAtCap = before <= stated && before >= stated - MAX_UTF8_BACKOFF_BYTES;
	return isAtCap ? {bytes: before, truncated: true} : {bytes: size, truncated: false};
}

/** A read option sinceBytes, when given, is a byte offset: a whole number ≥ 0. */
export function assertSinceBytes(sinceBytes: number | undefined): void {
	if (sinceBytes !== undefined && (!Number.isSafeInteger(sinceBytes) || sinceBytes < 0)) {
		throw new TypeError(`read option sinceBytes must be a whole number ≥ 0, got ${String(sinceBytes)}.`);
	}
}

/** The file from byte `start` to its end (nothing when it is not that long). */
function readFrom(fd: number, size: number, start: number): string {
	if (start >= size) return '';
	const rest = Buffer.alloc(size - start);
	readExactly(fd, rest, start);
	return rest.toString('utf8');
}

function assertMaxBytes(maxBytes: number, name: string): void {
	if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
		throw new TypeError(`${name} must be a whole number of bytes > 0, got ${String(maxBytes)}.`);
	}
}

/**
 * The last `lines` lines, reading backwards from the end in chunks so a large log is not read whole.
 * A final newline ends the last line rather than starting an empty one.
 */
function readTail(fd: number, size: number, lines: number): string {
	if (lines === 0 || size === 0) return '';
	const chunks: Buffer[] = [];
	let linesToGo = lines;
	let end = size;
	while (end > 0) {
		const start = Math.max(0, end - TAIL_CHUNK_BYTES);
		const chunk = Buffer.alloc(end - start);
		readExactly(fd, chunk, start);
		for (let index = chunk.length - 1; index >= 0; index--) {
			if (chunk[index] !== 0x0a || start + index === size - 1) continue;
			linesToGo--;
			if (linesToGo === 0) {
				// A newline byte never sits inside a multi-byte UTF-8 character, so cutting after it is safe.
				chunks.unshift(chunk.subarray(index + 1));
				return Buffer.concat(chunks).toString('utf8');
			}
		}

		chunks.unshift(chunk);
		end = start;
	}

	return Buffer.concat(chunks).toString('utf8');
}

/** The largest length ≤ `limit` that does not cut a UTF-8 character in two. */
function utf8Boundary(buffer: Buffer, limit: number): number {
	if (limit >= buffer.length) return buffer.length;
	let cut = limit;
	// Continuation bytes are 10xxxxxx; back off until the cut falls before a character's first byte.
	while (cut > 0 && ((buffer[cut] ?? 0) & 0xc0) === 0x80) cut--;
	return cut;
}

function readExactly(fd: number, buffer: Buffer, position: number): void {
	let done = 0;
	while (done < buffer.length) {
		const read = fs.readSync(fd, buffer, done, buffer.length - done, position + done);
		if (read === 0) throw new Error(`Unexpected end of file while reading ${buffer.length} bytes at ${position}.`);
		done += read;
	}
}

function writeAll(fd: number, buffer: Buffer): void {
	let done = 0;
	while (done < buffer.length) done += fs.writeSync(fd, buffer, done, buffer.length - done);
}

function isErrno(error: unknown, code: string): boolean {
	return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
