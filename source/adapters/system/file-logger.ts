import fs from 'node:fs';
import path from 'node:path';
import type {LogLevel} from '../../config.js';
import type {Logger} from '../../core/ports/logger.js';

/** A log file is rotated once it would grow past this. */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;
/** Files kept, the live one included: ccfleet.log, ccfleet.log.1 … ccfleet.log.4. */
export const LOG_FILE_COUNT = 5;

const RANK: Record<LogLevel, number> = {debug: 0, info: 1, warn: 2, error: 3};
const PRIVATE_FILE_MODE = 0o600;

export type FileLoggerOptions = {
	level: LogLevel;
	/** @default LOG_FILE_MAX_BYTES */
	maxBytes?: number;
	/** @default LOG_FILE_COUNT */
	files?: number;
	/** Where a failure to write the log itself is told, once; the log never throws into the fleet. @default stderr */
	onWriteError?: (error: Error) => void;
};

export type FileLogger = Logger & {
	readonly path: string;
	/** Closes the file; later entries are dropped. Idempotent. */
	close(): void;
};

/**
 * A logger that appends one JSON object per line (`time`, `level`, `msg`, `pid` and the entry's fields) to `file`,
 * private to its owner (0600), rotating by size: the full file becomes `file.1`, `file.1` becomes `file.2`, and the
 * oldest beyond `files` is removed. Writes are synchronous so that the last lines before an exit are never lost.
 */
export function createFileLogger(file: string, options: FileLoggerOptions): FileLogger {
	const maxBytes = options.maxBytes ?? LOG_FILE_MAX_BYTES;
	const files = options.files ?? LOG_FILE_COUNT;
	if (!Number.isInteger(files) || files < 1) throw new TypeError(`files must be a whole number of at least 1; got ${files}.`);
	if (!(maxBytes > 0)) throw new TypeError(`maxBytes must be above 0; got ${maxBytes}.`);
	const onWriteError = options.onWriteError ?? ((error: Error) => process.stderr.write(`ccfleet: cannot write the log ${file}: ${error.message}\n`));
	fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});

	let fd: number | undefined;
	let size = 0;
	let isClosed = false;
	let hasReportedFailure = false;

	const open = () => {
		fd = fs.openSync(file, 'a', PRIVATE_FILE_MODE);
		// The mode above applies only to a file this call creates; one left wider by hand is tightened.
		fs.fchmodSync(fd, PRIVATE_FILE_MODE);
		size = fs.fstatSync(fd).size;
	};

	const rotate = () => {
		if (fd !== undefined) fs.closeSync(fd);
		fd = undefined;
		fs.rmSync(`${file}.${files - 1}`, {force: true});
		for (let index = files - 2; index >= 1; index--) {
			if (fs.existsSync(`${file}.${index}`)) fs.renameSync(`${file}.${index}`, `${file}.${index + 1}`);
		}
		if (files > 1) fs.renameSync(file, `${file}.1`);
		else fs.rmSync(file, {force: true});
		open();
	};

	const write = (line: string) => {
		if (isClosed) return;
		try {
			if (fd === undefined) open();
			const bytes = Buffer.byteLength(line);
			if (size > 0 && size + bytes > maxBytes) rotate();
			fs.writeSync(fd!, line);
			size += bytes;
		} catch (error) {
			if (!hasReportedFailure) onWriteError(error as Error);
			hasReportedFailure = true;
		}
	};

	const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
		if (RANK[level] < RANK[options.level]) return;
		write(`${JSON.stringify({time: new Date().toISOString(), level, msg: message, pid: process.pid, ...fields})}\n`);
	};

	open();
	return {
		path: file,
		debug: log('debug'),
		info: log('info'),
		warn: log('warn'),
		error: log('error'),
		close() {
			if (isClosed) return;
			isClosed = true;
			if (fd !== undefined) fs.closeSync(fd);
			fd = undefined;
		},
	};
}

/** One logger that writes each entry to all of `loggers`. */
export function teeLogger(...loggers: Logger[]): Logger {
	return {
		debug: (message, fields) => loggers.forEach(logger => logger.debug(message, fields)),
		info: (message, fields) => loggers.forEach(logger => logger.info(message, fields)),
		warn: (message, fields) => loggers.forEach(logger => logger.warn(message, fields)),
		error: (message, fields) => loggers.forEach(logger => logger.error(message, fields)),
	};
}
