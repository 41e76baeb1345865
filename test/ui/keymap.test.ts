import type {Key} from 'ink';
import {describe, expect, test} from 'vitest';
import {KEYMAP, resolveCommand} from '../../source/ui/keymap.js';

const noKey: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};
const waiting = {selectedNeedsInput: true};
const idle = {selectedNeedsInput: false};

describe('resolveCommand', () => {
	test('n denies while the selected worker waits for an answer, and makes a new task otherwise; N is always new', () => {
		expect(resolveCommand('n', noKey, waiting)).toBe('deny');
		expect(resolveCommand('n', noKey, idle)).toBe('newTask');
		expect(resolveCommand('N', {...noKey, shift: true}, waiting)).toBe('newTask');
	});

	test('tab and shift-tab are told apart; c and Ctrl+C too', () => {
		expect(resolveCommand('\t', {...noKey, tab: true}, idle)).toBe('nextPane');
		expect(resolveCommand('', {...noKey, tab: true, shift: true}, idle)).toBe('previousPane');
		expect(resolveCommand('c', noKey, idle)).toBe('cancel');
		expect(resolveCommand('c', {...noKey, ctrl: true}, idle)).toBe('quit');
	});

	test('every key of every binding resolves to its command (in some context)', () => {
		for (const binding of KEYMAP) {
			for (const spec of binding.keys) {
				const [input, key] = 'input' in spec ? [spec.input, {...noKey, ctrl: spec.ctrl ?? false}] : ['', {...noKey, [spec.key]: true, shift: spec.shift ?? false}];
				const resolved = [resolveCommand(input, key, waiting), resolveCommand(input, key, idle)];
				expect(resolved, `${binding.label} → ${binding.command}`).toContain(binding.command);
			}
		}
	});

	test('descriptions fit the help overlay at 80 columns', () => {
		for (const binding of KEYMAP) expect(binding.description.length, binding.description).toBeLessThanOrEqual(29);
	});
});
