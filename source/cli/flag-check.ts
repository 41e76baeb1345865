import {CliError} from './errors.js';

type FlagSpec = {type: 'string' | 'boolean' | 'number'; shortFlag?: string};

const kebab = (name: string) => name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);

/**
 * Refuses a flag the command does not have, before meow (which prints "Unknown flag" and exits 2 on its own), with one
 * line that names the flag and where the command's flags are listed: "unknown flag --bogus-flag; see ccfleet delegate --help".
 * Words after `--` are not flags; the value of a flag that takes one is skipped.
 */
export function checkFlags(argv: readonly string[], flags: Record<string, FlagSpec>, command: string): void {
	const byName = new Map<string, FlagSpec>([
		['help', {type: 'boolean'}],
		['version', {type: 'boolean'}],
	]);
	const byShort = new Map<string, FlagSpec>();
	for (const [name, spec] of Object.entries(flags)) {
		byName.set(kebab(name), spec);
		if (spec.shortFlag) byShort.set(spec.shortFlag, spec);
	}
	const see = `see ccfleet${command ? ` ${command}` : ''} --help`;
	for (let index = 0; index < argv.length; index++) {
		const word = argv[index]!;
		if (word === '--') return;
		if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) continue;
		if (word.startsWith('--')) {
			const [name = '', value] = word.slice(2).split('=', 2);
			const spec = byName.get(name) ?? (name.startsWith('no-') ? byName.get(name.slice(3)) : undefined);
			if (!spec) throw new CliError(`unknown flag --${name}; ${see}`, 2);
			if (spec.type !== 'boolean' && value === undefined) index++;
			continue;
		}
		const letters = word.slice(1);
		for (const [at, letter] of [...letters].entries()) {
			const spec = byShort.get(letter);
			if (!spec) throw new CliError(`unknown flag -${letter}; ${see}`, 2);
			// `-n5` carries its value; `-n 5` has it in the next word.
			if (spec.type !== 'boolean') {
				if (at === letters.length - 1) index++;
				break;
			}
		}
	}
}
