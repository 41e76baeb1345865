import {expect, it} from 'vitest';
import {messageOf} from '../../source/core/domain/errors.js';

it('says what was thrown: an Error by its message, a plain object as JSON, anything else as a string', () => {
	expect(messageOf(new TypeError('bad input'))).toBe('bad input');
	expect(messageOf({code: 'E_FULL', detail: 'disk full'})).toBe('{"code":"E_FULL","detail":"disk full"}');
	expect(messageOf('plain words')).toBe('plain words');
	expect(messageOf(undefined)).toBe('undefined');
	expect(messageOf(null)).toBe('null');
	const circular: Record<string, unknown> = {};
	circular['self'] = circular;
	expect(messageOf(circular)).toBe('[object Object]');
});
