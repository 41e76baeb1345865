import {describe, expect, it} from 'vitest';
import {ConfigError} from '../../source/config.js';
import {CliError, exitCodeOf, formatCliError, plainToolMessage} from '../../source/cli/errors.js';
import {checkFlags} from '../../source/cli/flag-check.js';
import {COMMANDS} from '../../source/cli/command-specs.js';

describe('the one error formatter', () => {
	it('strips the MCP SDK prefixes, however many layers added them', () => {
		expect(plainToolMessage('MCP error -32602: MCP error -32602: Input validation error: Invalid arguments for tool delegate_task: mode "turbo" is not accepted')).toBe(
			'mode "turbo" is not accepted',
		);
		expect(plainToolMessage('MCP error -32000: Connection closed')).toBe('Connection closed');
		expect(plainToolMessage('No task with id "x".')).toBe('No task with id "x".');
	});

	it('prints an expected error as its message and an unexpected one without its stack unless LOG_LEVEL=debug', () => {
		expect(formatCliError(new CliError('Give a prompt.'))).toBe('Give a prompt.');
		expect(formatCliError(new ConfigError('TASK_TIMEOUT is "x".'))).toBe('TASK_TIMEOUT is "x".');
		const surprise = new TypeError('Cannot read properties of undefined');
		expect(formatCliError(surprise, {})).toBe('Cannot read properties of undefined (LOG_LEVEL=debug shows where it came from)');
		expect(formatCliError(surprise, {LOG_LEVEL: 'debug'})).toContain('    at ');
		expect(exitCodeOf(new CliError('usage', 2))).toBe(2);
		expect(exitCodeOf(surprise)).toBe(1);
	});
});

describe('unknown flags', () => {
	const delegate = {...COMMANDS['delegate']!.flags, priority: {type: 'string' as const, shortFlag: 'p'}, dependsOn: {type: 'string' as const}};
	const refusal = (argv: string[]) => {
		try {
			checkFlags(argv, delegate, 'delegate');
			return undefined;
		} catch (error) {
			return [(error as CliError).message, (error as CliError).exitCode];
		}
	};

	it('names the flag and the help to read, as a usage error (exit 2)', () => {
		expect(refusal(['x', '--bogus-flag'])).toEqual(['unknown flag --bogus-flag; see ccfleet delegate --help', 2]);
		expect(refusal(['-z'])).toEqual(['unknown flag -z; see ccfleet delegate --help', 2]);
		expect(refusal(['--bogus=1'])).toEqual(['unknown flag --bogus; see ccfleet delegate --help', 2]);
	});

	it('accepts known flags in every spelling, their values, negations, and anything after --', () => {
		for (const argv of [
			['--priority', '--looks-like-a-flag', 'x'],
			['-p', 'P0', '-w', 'x'],
			['-pP0', 'x'],
			['--depends-on=a,b', '--no-stdin', '--json', '--help'],
			['x', '--', '--bogus'],
			['-5'],
		]) {
			expect(refusal(argv), argv.join(' ')).toBeUndefined();
		}
	});
});
