import {afterEach, describe, expect, it} from 'vitest';
import {FleetError} from '../../source/core/domain/errors.js';
import {type OutputLog, type OutputRead} from '../../source/core/ports/task-store.js';

/**
 * The OutputLog port's contract, for any adapter. `makeLog(maxBytes)` returns a fresh, empty log whose own cap is
 * `maxBytes`; the suite closes it afterwards. The marker's wording is the adapter's, so it is only required to be
 * a line of its own that names the cap and says the output was truncated.
 */
export function describeOutputLog(name: string, makeLog: (maxBytes: number) => OutputLog): void {
	describe(`OutputLog contract: ${name}`, () => {
		let log: OutputLog | undefined;
		const open = (maxBytes = 1024 * 1024): OutputLog => {
			log = makeLog(maxBytes);
			return log;
		};

		afterEach(() => {
			log?.close();
			log = undefined;
		});

		/** Asserts that the log kept exactly `kept` and then said, on a line of its own, that it stopped (at `cap`). */
		const expectTruncated = (read: OutputRead, kept: string, cap?: number): void => {
			expect(read.truncated).toBe(true);
			expect(read.bytes).toBe(Buffer.byteLength(kept));
			expect(read.text.startsWith(kept)).toBe(true);
			const marker = read.text.slice(kept.length);
			expect(marker).toMatch(/^\n[^\n]*truncated[^\n]*\n$/);
			if (cap !== undefined) expect(marker).toContain(String(cap));
		};

		describe('append and read', () => {
			it('reads back what was appended, in order, with its size in UTF-8 bytes', () => {
				const l = open();
				l.append('t', 'hello ');
				l.append('t', 'wörld 🚀\n');
				l.append('t', 'second line');
				const text = 'hello wörld 🚀\nsecond line';
				expect(l.read('t')).toStrictEqual({text, bytes: Buffer.byteLength(text), truncated: false});
			});

			it('reads a task that never wrote as empty, whole or tailed', () => {
				const l = open();
				l.append('other', 'x\n');
				expect(l.read('never')).toStrictEqual({text: '', bytes: 0, truncated: false});
				expect(l.read('never', {tailLines: 3})).toStrictEqual({text: '', bytes: 0, truncated: false});
			});

			it('treats an empty append as nothing written', () => {
				const l = open();
				l.append('t', '');
				expect(l.read('t')).toStrictEqual({text: '', bytes: 0, truncated: false});
			});

			it('keeps two tasks apart, however their appends interleave', () => {
				const l = open();
				for (let index = 0; index < 5; index++) {
					l.append('t1', `one ${index}\n`);
					l.append('t2', `two ${index}\n`);
				}

				const one = [0, 1, 2, 3, 4].map(index => `one ${index}\n`).join('');
				const two = [0, 1, 2, 3, 4].map(index => `two ${index}\n`).join('');
				expect(l.read('t1')).toStrictEqual({text: one, bytes: Buffer.byteLength(one), truncated: false});
				expect(l.read('t2')).toStrictEqual({text: two, bytes: Buffer.byteLength(two), truncated: false});
				expect(l.read('t2', {tailLines: 1}).text).toBe('two 4\n');
			});
		});

		describe('tailLines', () => {
			it('returns everything when asked for more lines than there are, or exactly as many', () => {
				const l = open();
				l.append('t', 'a\nb\nc\n');
				expect(l.read('t', {tailLines: 10}).text).toBe('a\nb\nc\n');
				expect(l.read('t', {tailLines: 3}).text).toBe('a\nb\nc\n');
			});

			it('returns the last lines, a final newline ending the last line rather than starting an empty one', () => {
				const l = open();
				l.append('t', 'a\nb\nc\n');
				expect(l.read('t', {tailLines: 2}).text).toBe('b\nc\n');
				expect(l.read('t', {tailLines: 1}).text).toBe('c\n');
			});

			it('counts a last line without a newline as a line', () => {
				const l = open();
				l.append('t', 'a\nb\nc');
				expect(l.read('t', {tailLines: 1}).text).toBe('c');
				expect(l.read('t', {tailLines: 2}).text).toBe('b\nc');
				expect(l.read('t', {tailLines: 3}).text).toBe('a\nb\nc');
			});

			it('counts empty lines as lines', () => {
				const l = open();
				l.append('t', 'a\n\n\nb\n');
				expect(l.read('t', {tailLines: 3}).text).toBe('\n\nb\n');
				l.append('u', '\n');
				expect(l.read('u', {tailLines: 1}).text).toBe('\n');
			});

			it('returns nothing for zero lines', () => {
				const l = open();
				l.append('t', 'a\nb\n');
				expect(l.read('t', {tailLines: 0}).text).toBe('');
			});

			it('reports the size of the whole log, not of the tail', () => {
				const l = open();
				l.append('t', 'a\nb\nc\n');
				expect(l.read('t', {tailLines: 1})).toStrictEqual({text: 'c\n', bytes: 6, truncated: false});
			});

			it('refuses a tailLines that is not a whole number ≥ 0', () => {
				const l = open();
				l.append('t', 'a\n');
				for (const tailLines of [-1, 1.5, Number.NaN]) {
					expect(() => l.read('t', {tailLines}), String(tailLines)).toThrow(TypeError);
				}
			});
		});

		describe('sinceBytes', () => {
			it('reads what was appended after an earlier read, the marker included once the cap is reached', () => {
				const l = open(20);
				l.append('t', 'wörld\n');
				const first = l.read('t');
				l.append('t', 'then 🚀\n');
				const offset = Buffer.byteLength(first.text);
				expect(l.read('t', {sinceBytes: offset})).toStrictEqual({text: 'then 🚀\n', bytes: offset + Buffer.byteLength('then 🚀\n'), truncated: false});
				expect(l.read('t', {sinceBytes: 1000}).text).toBe('');
				expect(l.read('never', {sinceBytes: 3}).text).toBe('');
				const before = Buffer.byteLength(l.read('t').text);
				l.append('t', 'and much more than fits');
				const rest = l.read('t', {sinceBytes: before});
				expect(rest.truncated).toBe(true);
				expect(l.read('t').text).toBe(`${l.read('t', {sinceBytes: 0}).text}`);
				expect(Buffer.from(l.read('t').text).subarray(before).toString()).toBe(rest.text);
				for (const sinceBytes of [-1, 1.5, Number.NaN]) expect(() => l.read('t', {sinceBytes}), String(sinceBytes)).toThrow(TypeError);
			});
		});

		describe('cap', () => {
			it('keeps what fits, adds one marker line, and counts and keeps nothing more', () => {
				const l = open(100);
				l.append('t', 'a'.repeat(60));
				l.append('t', 'b'.repeat(60));
				const kept = `${'a'.repeat(60)}${'b'.repeat(40)}`;
				expectTruncated(l.read('t'), kept, 100);
				const before = l.read('t');
				l.append('t', 'c'.repeat(10));
				l.append('t', 'more\n');
				expect(l.read('t')).toStrictEqual(before);
			});

			it('is not reached by output that fills it exactly, only by the next byte', () => {
				const l = open(10);
				l.append('t', '0123456789');
				expect(l.read('t')).toStrictEqual({text: '0123456789', bytes: 10, truncated: false});
				l.append('t', 'x');
				expectTruncated(l.read('t'), '0123456789', 10);
			});

			it('shows the marker as the last line of a tail, and says truncated there too', () => {
				const l = open(10);
				l.append('t', 'line\nline\nline\n');
				const tail = l.read('t', {tailLines: 1});
				expect(tail.truncated).toBe(true);
				expect(tail.bytes).toBe(10);
				expect(tail.text).toMatch(/^[^\n]*truncated[^\n]*\n$/);
			});

			it("takes a per-call maxBytes over the log's own cap, smaller or larger", () => {
				const l = open(100);
				l.append('small', 'x'.repeat(30), 20);
				expectTruncated(l.read('small'), 'x'.repeat(20), 20);
				l.append('large', 'y'.repeat(150), 200);
				expect(l.read('large')).toStrictEqual({text: 'y'.repeat(150), bytes: 150, truncated: false});
				l.append('default', 'z'.repeat(150), undefined);
				expectTruncated(l.read('default'), 'z'.repeat(100), 100);
			});

			it('stops at once when a per-call maxBytes is below what is already written, keeping what was', () => {
				const l = open(100);
				l.append('t', 'a'.repeat(50));
				l.append('t', 'b', 20);
				expectTruncated(l.read('t'), 'a'.repeat(50));
			});

			it('refuses a per-call maxBytes that is not a whole number > 0, writing nothing', () => {
				const l = open(100);
				for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
					expect(() => {
						l.append('t', 'x', maxBytes);
					}, String(maxBytes)).toThrow(TypeError);
				}

				expect(l.read('t')).toStrictEqual({text: '', bytes: 0, truncated: false});
			});

			it('never splits a multi-byte UTF-8 character at the cap', () => {
				const l = open(10);
				l.append('euro', 'aaaaaaaa€');
				expectTruncated(l.read('euro'), 'aaaaaaaa', 10);
				l.append('rocket', 'aaaaaaa🚀');
				expectTruncated(l.read('rocket'), 'aaaaaaa', 10);
				l.append('across', 'aaaaaaaaa');
				l.append('across', 'ü');
				expectTruncated(l.read('across'), 'aaaaaaaaa', 10);
				l.append('fits', 'aaaaaaaü');
				l.append('fits', 'ü');
				expectTruncated(l.read('fits'), 'aaaaaaaü', 10);
				for (const id of ['euro', 'rocket', 'across', 'fits']) expect(l.read(id).text).not.toContain('\uFFFD');
			});

			it('caps each task on its own', () => {
				const l = open(5);
				l.append('t1', '123456');
				l.append('t2', '1234');
				expectTruncated(l.read('t1'), '12345', 5);
				expect(l.read('t2')).toStrictEqual({text: '1234', bytes: 4, truncated: false});
				l.append('t2', '5');
				expect(l.read('t2')).toStrictEqual({text: '12345', bytes: 5, truncated: false});
			});
		});

		describe('closeTask', () => {
			it('does not take output that ends like a marker for one: a later append continues the log', () => {
				const l = open(1000);
				l.append('capped', 'x'.repeat(20), 10);
				const marker = l.read('capped').text.slice(10);
				const text = `hello${marker}`;
				l.append('t', text);
				l.closeTask('t');
				expect(l.read('t')).toStrictEqual({text, bytes: Buffer.byteLength(text), truncated: false});
				l.append('t', 'after');
				expect(l.read('t')).toStrictEqual({text: `${text}after`, bytes: Buffer.byteLength(text) + 5, truncated: false});
			});

			it('leaves the log readable, and a later append continues it', () => {
				const l = open();
				l.append('t', 'before\n');
				l.closeTask('t');
				expect(l.read('t')).toStrictEqual({text: 'before\n', bytes: 7, truncated: false});
				l.append('t', 'after\n');
				expect(l.read('t')).toStrictEqual({text: 'before\nafter\n', bytes: 13, truncated: false});
			});

			it('keeps the cap across it, whether or not it was reached', () => {
				const l = open(20);
				l.append('t', 'a'.repeat(15));
				l.closeTask('t');
				l.append('t', 'b'.repeat(15));
				expectTruncated(l.read('t'), `${'a'.repeat(15)}${'b'.repeat(5)}`, 20);
				l.closeTask('t');
				l.append('t', 'c');
				expectTruncated(l.read('t'), `${'a'.repeat(15)}${'b'.repeat(5)}`, 20);
			});

			it('is harmless twice, for a task that never wrote, and leaves other tasks alone', () => {
				const l = open();
				l.append('t1', 'one');
				l.append('t2', 'two');
				l.closeTask('t1');
				l.closeTask('t1');
				l.closeTask('never');
				l.append('t2', '!');
				expect(l.read('t1').text).toBe('one');
				expect(l.read('t2').text).toBe('two!');
				expect(l.read('never')).toStrictEqual({text: '', bytes: 0, truncated: false});
			});
		});

		describe('close', () => {
			it('is idempotent; what was written can still be read, but nothing more appended', () => {
				const l = open();
				l.append('t', 'kept\n');
				l.close();
				l.close();
				expect(l.read('t')).toStrictEqual({text: 'kept\n', bytes: 5, truncated: false});
				expect(() => {
					l.append('t', 'late');
				}).toThrow(FleetError);
				expect(l.read('t').text).toBe('kept\n');
			});
		});
	});
}
