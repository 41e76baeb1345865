import {describe, expect, it} from 'vitest';
import {costOf, projectFolderName, usageFromTranscript} from '../../source/adapters/claude/transcript.js';

describe('transcript', () => {
	it('names project folders as claude does, short and long', () => {
		expect(projectFolderName('/tmp/a.b_c')).toBe('-tmp-a-b-c');
		const long = `/tmp/${'x'.repeat(250)}`;
		const name = projectFolderName(long);
		expect(name.startsWith(`-tmp-${'x'.repeat(195)}-`)).toBe(true);
		expect(name).toMatch(/^.{200}-[0-9a-z]+$/);
		expect(projectFolderName(`${long}y`)).not.toBe(name);
	});

	it('counts each API message once even when it spans several lines, and skips synthetic ones', () => {
		const usage = {input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0};
		const lines = [
			{type: 'user', message: {content: 'hi'}},
			{type: 'assistant', message: {id: 'm1', model: 'claude-sonnet-4-5', usage}},
			{type: 'assistant', message: {id: 'm1', model: 'claude-sonnet-4-5', usage}},
			{type: 'assistant', message: {id: 'm2', model: 'claude-sonnet-4-5', usage: {...usage, output_tokens: 30}}},
			{type: 'assistant', message: {id: 'm3', model: '<synthetic>', usage}},
		];
		const text = `${lines.map(line => JSON.stringify(line)).join('\n')}\n{"type":"assistant","message":{"usage":`;
		const result = usageFromTranscript(text);
		expect(result.tokens).toEqual({input: 200, output: 50, cacheRead: 2000, cacheCreation: 0});
		// sonnet: $3 in, $15 out per million; cache reads at a tenth of input.
		expect(result.costUsd).toBeCloseTo((200 * 3 + 2000 * 0.3 + 50 * 15) / 1e6, 10);
	});

	it('prices opus and haiku differently from sonnet', () => {
		const tokens = {input: 1_000_000, output: 0, cacheRead: 0, cacheCreation: 0};
		expect(costOf('claude-opus-4-5', tokens)).toBe(5);
		expect(costOf('claude-haiku-4-5', tokens)).toBe(1);
		expect(costOf('claude-sonnet-4-5', tokens)).toBe(3);
	});
});
