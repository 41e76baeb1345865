import {assertSinceBytes, truncationMarker} from '../../source/adapters/fs/file-output-log.js';
import {FleetError} from '../../source/core/domain/errors.js';
import type {OutputLog, OutputRead, OutputReadOptions} from '../../source/core/ports/task-store.js';

/** MAX_OUTPUT_BUFFER's default, so core tests see the cap the real fleet has. */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

type Log = {text: string; bytes: number; marker: string | undefined};

/**
 * OutputLog in memory, held to the same contract as FileOutputLog (test/contracts/output-log.contract.ts),
 * marker text included, so core tests read what a real log would show.
 */
export class MemoryOutputLog implements OutputLog {
	readonly #maxBytes: number;
	readonly #logs = new Map<string, Log>();
	#isClosed = false;

	constructor({maxBytes = DEFAULT_MAX_BYTES}: {maxBytes?: number} = {}) {
		assertMaxBytes(maxBytes, 'MemoryOutputLog option maxBytes');
		this.#maxBytes = maxBytes;
	}

	append(taskId: string, text: string, maxBytes: number = this.#maxBytes): void {
		if (this.#isClosed) throw new FleetError('The output log is closed.');
		assertMaxBytes(maxBytes, 'append argument maxBytes');
		if (text === '') return;
		const log = this.#logs.get(taskId) ?? {text: '', bytes: 0, marker: undefined};
		this.#logs.set(taskId, log);
		if (log.marker !== undefined) return;

		const room = Math.max(maxBytes - log.bytes, 0);
		// encodeInto writes whole characters only, so `read` is where the cut falls without splitting one.
		const {read, written} = new TextEncoder().encodeInto(text, new Uint8Array(room));
		log.text += text.slice(0, read);
		log.bytes += written;
		if (read < text.length) log.marker = truncationMarker(Math.max(maxBytes, log.bytes));
	}

	read(taskId: string, options: OutputReadOptions = {}): OutputRead {
		const {tailLines, sinceBytes} = options;
		assertSinceBytes(sinceBytes);
		if (tailLines !== undefined && (!Number.isSafeInteger(tailLines) || tailLines < 0)) {
			throw new TypeError(`read option tailLines must be a whole number ≥ 0, got ${String(tailLines)}.`);
		}

		const log = this.#logs.get(taskId);
		if (!log) return {text: '', bytes: 0, truncated: false};
		const text = log.text + (log.marker ?? '');
		const read = sinceBytes !== undefined ? Buffer.from(text, 'utf8').subarray(sinceBytes).toString('utf8') : tailLines === undefined ? text : lastLines(text, tailLines);
		return {text: read, bytes: log.bytes, truncated: log.marker !== undefined};
	}

	closeTask(): void {}

	close(): void {
		this.#isClosed = true;
	}
}

/** A final newline ends the last line rather than starting an empty one. */
function lastLines(text: string, lines: number): string {
	if (lines === 0) return '';
	let cut = text.endsWith('\n') ? text.length - 1 : text.length;
	for (let found = 0; found < lines; found++) {
		if (cut <= 0) return text;
		cut = text.lastIndexOf('\n', cut - 1);
		if (cut === -1) return text;
	}

	return text.slice(cut + 1);
}

function assertMaxBytes(maxBytes: number, name: string): void {
	if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
		throw new TypeError(`${name} must be a whole number of bytes > 0, got ${String(maxBytes)}.`);
	}
}
