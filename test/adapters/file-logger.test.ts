import {chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, expect, it} from 'vitest';
import {createFileLogger, teeLogger} from '../../source/adapters/system/file-logger.js';

let root: string;
let file: string;

beforeEach(() => {
	root = mkdtempSync(path.join(os.tmpdir(), 'ccf-log-'));
	file = path.join(root, 'logs', 'ccfleet.log');
});

afterEach(() => {
	rmSync(root, {recursive: true, force: true});
});

const lines = (name: string) =>
	readFileSync(name, 'utf8')
		.split('\n')
		.filter(Boolean)
		.map(line => JSON.parse(line) as Record<string, unknown>);

it('writes one JSON object per line with time, level, message, pid and fields, at or above its level, 0600', () => {
	const logger = createFileLogger(file, {level: 'info'});
	logger.debug('hidden');
	logger.info('ready', {socket: '/x.sock', count: 2});
	logger.error('failed', {error: 'boom'});
	logger.close();
	logger.info('after close');
	const entries = lines(file);
	expect(entries).toHaveLength(2);
	expect(entries[0]).toMatchObject({level: 'info', msg: 'ready', pid: process.pid, socket: '/x.sock', count: 2});
	expect(Number.isNaN(Date.parse(String(entries[0]!['time'])))).toBe(false);
	expect(entries[1]).toMatchObject({level: 'error', msg: 'failed', error: 'boom'});
	expect(statSync(file).mode & 0o777).toBe(0o600);
});

it('rotates by size, keeping the given number of files, the oldest dropped', () => {
	const logger = createFileLogger(file, {level: 'info', maxBytes: 1000, files: 3});
	for (let index = 0; index < 100; index++) logger.info(`entry ${index}`, {padding: 'x'.repeat(50)});
	logger.close();
	expect(readdirSync(path.dirname(file)).sort()).toEqual(['ccfleet.log', 'ccfleet.log.1', 'ccfleet.log.2']);
	for (const name of ['ccfleet.log', 'ccfleet.log.1', 'ccfleet.log.2']) {
		const full = path.join(path.dirname(file), name);
		expect(statSync(full).size).toBeLessThanOrEqual(1000);
		expect(statSync(full).mode & 0o777).toBe(0o600);
	}
	// The newest entries are in the live file, the ones before them in .1, and nothing is out of order.
	const kept = [...lines(`${file}.2`), ...lines(`${file}.1`), ...lines(file)].map(entry => Number(/entry (\d+)/.exec(String(entry['msg']))![1]));
	expect(kept.at(-1)).toBe(99);
	expect(kept).toEqual(Array.from({length: kept.length}, (_, index) => kept[0]! + index));
	expect(kept[0]).toBeGreaterThan(0);
});

it('tightens an existing log left readable by others and appends to it', () => {
	const logger = createFileLogger(file, {level: 'info'});
	logger.close();
	writeFileSync(file, '{"msg":"old"}\n');
	chmodSync(file, 0o644);
	const again = createFileLogger(file, {level: 'info'});
	again.warn('new');
	again.close();
	expect(statSync(file).mode & 0o777).toBe(0o600);
	expect(lines(file).map(entry => entry['msg'])).toEqual(['old', 'new']);
});

it('reports a failure to write once and never throws into its caller', () => {
	const failures: string[] = [];
	const logger = createFileLogger(file, {level: 'info', maxBytes: 10, onWriteError: error => failures.push(error.message)});
	logger.info('first');
	// Someone removed the live file: each rotation's rename of it fails.
	rmSync(file);
	for (let index = 0; index < 5; index++) expect(() => logger.info('x'.repeat(20))).not.toThrow();
	logger.close();
	expect(failures).toHaveLength(1);
	expect(failures[0]).toMatch(/ENOENT/);
});

it('tee writes every entry to each logger', () => {
	const seen: string[] = [];
	const record = (name: string) => ({
		debug: (message: string) => seen.push(`${name} debug ${message}`),
		info: (message: string) => seen.push(`${name} info ${message}`),
		warn: (message: string) => seen.push(`${name} warn ${message}`),
		error: (message: string) => seen.push(`${name} error ${message}`),
	});
	teeLogger(record('a'), record('b')).warn('hi');
	expect(seen).toEqual(['a warn hi', 'b warn hi']);
});
