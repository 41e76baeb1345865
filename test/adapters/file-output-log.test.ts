import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {FileOutputLog, truncationMarker} from '../../source/adapters/fs/file-output-log.js';

let root: string;
let directory: string;
const logs: FileOutputLog[] = [];

function openLog(maxBytes = 1024 * 1024): FileOutputLog {
	const log = new FileOutputLog(directory, {maxBytes});
	logs.push(log);
	return log;
}

const file = (taskId: string): string => path.join(directory, `${taskId}.log`);

beforeEach(() => {
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-output-'));
	directory = path.join(root, 'state', 'output');
});

afterEach(() => {
	vi.restoreAllMocks();
	for (const log of logs.splice(0)) log.close();
	fs.rmSync(root, {recursive: true, force: true});
});

describe('FileOutputLog', () => {
	it('appends to one file per task and reads it back', () => {
		const log = openLog();
		log.append('t1', 'hello ');
		log.append('t2', 'other\n');
		log.append('t1', 'wörld\n');
		expect(log.read('t1')).toEqual({text: 'hello wörld\n', bytes: Buffer.byteLength('hello wörld\n'), truncated: false});
		expect(log.read('t2').text).toBe('other\n');
		expect(fs.readFileSync(file('t1'), 'utf8')).toBe('hello wörld\n');
		expect(fs.readdirSync(directory).sort()).toEqual(['t1.log', 't2.log']);
	});

	it('reads a task with no log as empty, before and after the directory exists, and creates nothing', () => {
		const log = openLog();
		expect(log.read('none')).toEqual({text: '', bytes: 0, truncated: false});
		expect(fs.existsSync(directory)).toBe(false);
		log.append('t1', 'x');
		expect(log.read('none', {tailLines: 5})).toEqual({text: '', bytes: 0, truncated: false});
		expect(fs.existsSync(file('none'))).toBe(false);
	});

	it('creates the directory with mode 0700 and the files with mode 0600', () => {
		const previous = process.umask(0o022);
		try {
			openLog().append('t1', 'secret');
		} finally {
			process.umask(previous);
		}

		expect(fs.statSync(directory).mode & 0o777).toBe(0o700);
		expect(fs.statSync(file('t1')).mode & 0o777).toBe(0o600);
	});

	it('refuses task ids that could name a file outside the directory', () => {
		const log = openLog();
		for (const id of ['', '../escape', 'a/b', '.hidden', '..']) {
			expect(() => {
				log.append(id, 'x');
			}, id).toThrow(TypeError);
		}

		expect(fs.readdirSync(root)).toEqual([]);
	});

	it('refuses a maxBytes that is not a whole number > 0', () => {
		for (const maxBytes of [0, -1, 1.5, Number.NaN]) expect(() => new FileOutputLog(directory, {maxBytes})).toThrow(/maxBytes/);
	});

	describe('tail', () => {
		it('returns the last lines, a final newline ending the last line', () => {
			const log = openLog();
			log.append('t', 'a\nb\nc\n');
			expect(log.read('t', {tailLines: 2}).text).toBe('b\nc\n');
			expect(log.read('t', {tailLines: 1}).text).toBe('c\n');
			expect(log.read('t', {tailLines: 3}).text).toBe('a\nb\nc\n');
			expect(log.read('t', {tailLines: 10}).text).toBe('a\nb\nc\n');
			expect(log.read('t', {tailLines: 0}).text).toBe('');
			log.append('t', 'partial');
			expect(log.read('t', {tailLines: 2}).text).toBe('c\npartial');
			expect(log.read('t', {tailLines: 2}).bytes).toBe(13);
		});

		it('counts empty lines as lines', () => {
			const log = openLog();
			log.append('t', 'a\n\n\nb\n');
			expect(log.read('t', {tailLines: 3}).text).toBe('\n\nb\n');
		});

		it('reads only the end of a large file', () => {
			const log = openLog(64 * 1024 * 1024);
			const lines = Array.from({length: 200_000}, (_, index) => `line ${index} ${'ü'.repeat(index % 40)} 🚀`);
			for (let index = 0; index < lines.length; index += 1000) log.append('big', `${lines.slice(index, index + 1000).join('\n')}\n`);
			const size = fs.statSync(file('big')).size;
			expect(size).toBeGreaterThan(10 * 1024 * 1024);

			const readSync = vi.spyOn(fs, 'readSync');
			const readFileSync = vi.spyOn(fs, 'readFileSync');
			const tail = log.read('big', {tailLines: 3});
			expect(tail.text).toBe(`${lines.slice(-3).join('\n')}\n`);
			expect(tail.bytes).toBe(size);
			expect(readFileSync).not.toHaveBeenCalled();
			expect(readSync).toHaveBeenCalled();
			const bytesRead = readSync.mock.calls.reduce((sum, call) => sum + (((call as unknown[])[3] as number | undefined) ?? 0), 0);
			expect(bytesRead).toBeLessThan(256 * 1024);

			// A tail longer than one read chunk is stitched together from several.
			expect(log.read('big', {tailLines: 5000}).text).toBe(`${lines.slice(-5000).join('\n')}\n`);
		});
	});

	describe('cap', () => {
		it('writes the part of a chunk that fits, then one marker line and nothing more', () => {
			const log = openLog(100);
			log.append('t', 'a'.repeat(60));
			log.append('t', 'b'.repeat(60));
			log.append('t', 'c'.repeat(10));
			const expected = `${'a'.repeat(60)}${'b'.repeat(40)}${truncationMarker(100)}`;
			expect(truncationMarker(100)).toBe('\n[ccfleet: output truncated at 100 bytes (MAX_OUTPUT_BUFFER)]\n');
			expect(fs.readFileSync(file('t'), 'utf8')).toBe(expected);
			expect(log.read('t')).toEqual({text: expected, bytes: 100, truncated: true});
			expect(log.read('t', {tailLines: 1}).text).toBe('[ccfleet: output truncated at 100 bytes (MAX_OUTPUT_BUFFER)]\n');
		});

		it('takes a per-task cap that overrides the default one, also after a reopen', () => {
			openLog(1000).append('small', 'x'.repeat(30), 20);
			const reopened = openLog(1000);
			reopened.append('small', 'more', 20);
			expect(reopened.read('small')).toEqual({text: `${'x'.repeat(20)}${truncationMarker(20)}`, bytes: 20, truncated: true});
		});

		it('is not reached by output that fills it exactly, only by the next byte', () => {
			const log = openLog(10);
			log.append('t', '0123456789');
			expect(log.read('t')).toEqual({text: '0123456789', bytes: 10, truncated: false});
			log.append('t', 'x');
			expect(log.read('t')).toEqual({text: `0123456789${truncationMarker(10)}`, bytes: 10, truncated: true});
		});

		it('never cuts a UTF-8 character in two', () => {
			const log = openLog(10);
			log.append('t', 'aaaaaaaa€');
			expect(log.read('t')).toEqual({text: `aaaaaaaa${truncationMarker(10)}`, bytes: 8, truncated: true});
		});

		it('caps each task on its own', () => {
			const log = openLog(5);
			log.append('t1', '123456');
			log.append('t2', '1234');
			expect(log.read('t1').truncated).toBe(true);
			expect(log.read('t2')).toEqual({text: '1234', bytes: 4, truncated: false});
		});

		it('survives a restart: the size so far and the marker are read back from the file', () => {
			const first = openLog(100);
			first.append('full', 'x'.repeat(150));
			first.append('half', 'y'.repeat(80));
			first.close();

			const second = openLog(100);
			expect(second.read('full')).toEqual({text: `${'x'.repeat(100)}${truncationMarker(100)}`, bytes: 100, truncated: true});
			expect(second.read('half')).toEqual({text: 'y'.repeat(80), bytes: 80, truncated: false});
			second.append('full', 'more');
			second.append('half', 'z'.repeat(50));
			expect(fs.readFileSync(file('full'), 'utf8')).toBe(`${'x'.repeat(100)}${truncationMarker(100)}`);
			expect(second.read('half')).toEqual({text: `${'y'.repeat(80)}${'z'.repeat(20)}${truncationMarker(100)}`, bytes: 100, truncated: true});
		});

		it('after a restart, takes output that only ends like a marker for output', () => {
			const text = `${'y'.repeat(500)}${truncationMarker(100)}`;
			openLog(1000).append('echo', text);
			const second = openLog(1000);
			expect(second.read('echo')).toEqual({text, bytes: Buffer.byteLength(text), truncated: false});
			second.append('echo', 'more');
			expect(second.read('echo').text).toBe(`${text}more`);
		});

		it('after a restart with a cap lowered below what was written, stops there and still knows it stopped', () => {
			openLog(1000).append('t', 'a'.repeat(50));
			const lowered = openLog(20);
			lowered.append('t', 'b');
			expect(fs.readFileSync(file('t'), 'utf8')).toBe(`${'a'.repeat(50)}${truncationMarker(50)}`);
			const third = openLog(20);
			expect(third.read('t')).toEqual({text: `${'a'.repeat(50)}${truncationMarker(50)}`, bytes: 50, truncated: true});
			third.append('t', 'c');
			expect(third.read('t').bytes).toBe(50);
		});

		it('holds across closeTask, which releases the file without forgetting it', () => {
			const log = openLog(20);
			log.append('t', 'a'.repeat(15));
			log.closeTask('t');
			log.closeTask('t');
			log.append('t', 'b'.repeat(15));
			expect(log.read('t')).toEqual({text: `${'a'.repeat(15)}${'b'.repeat(5)}${truncationMarker(20)}`, bytes: 20, truncated: true});
		});
	});

	describe('close', () => {
		it('is idempotent; reads still work, appends are refused', () => {
			const log = openLog();
			log.append('t', 'kept');
			log.close();
			log.close();
			expect(log.read('t').text).toBe('kept');
			expect(() => {
				log.append('t', 'late');
			}).toThrow(/closed/);
		});

		it('releases the descriptors of every task', () => {
			const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
			const before = fdCount();
			const log = openLog();
			for (let index = 0; index < 50; index++) log.append(`t${index}`, 'x');
			expect(fdCount()).toBeGreaterThanOrEqual(before + 50);
			log.closeTask('t0');
			expect(fdCount()).toBe(before + 49);
			log.close();
			expect(fdCount()).toBe(before);
		});
	});
});
