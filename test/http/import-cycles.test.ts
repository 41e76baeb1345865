import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {expect, it} from 'vitest';

// A cycle between config.ts and the HTTP modules makes the order modules run in depend on which one is imported first
// (a class read before its module ran is undefined); the HTTP layer and config.ts must import each other one way only.
const SOURCE = path.resolve(import.meta.dirname, '../../source');

/** The source files a module imports (relative imports and re-exports; `.js` names the `.ts` or `.tsx` beside it). */
function importsOf(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	const found: string[] = [];
	for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)) {
		const target = path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, ''));
		const resolved = [`${target}.ts`, `${target}.tsx`].find(candidate => existsSync(candidate));
		if (resolved) found.push(resolved);
	}
	return found;
}

/** A cycle through `start` among the modules it reaches, as a list of files; undefined when there is none. */
function cycleThrough(start: string): string[] | undefined {
	const seen = new Set<string>();
	const walk = (file: string, trail: string[]): string[] | undefined => {
		for (const next of importsOf(file)) {
			if (next === start) return [...trail, next];
			if (seen.has(next)) continue;
			seen.add(next);
			const cycle = walk(next, [...trail, next]);
			if (cycle) return cycle;
		}
		return undefined;
	};
	return walk(start, [start]);
}

it('config.ts and the modules of source/http/ are in no import cycle', () => {
	const http = readdirSync(path.join(SOURCE, 'http')).filter(name => name.endsWith('.ts'));
	expect(http).toContain('http-settings.ts');
	for (const file of [path.join(SOURCE, 'config.ts'), ...http.map(name => path.join(SOURCE, 'http', name))]) {
		expect(
			cycleThrough(file)?.map(step => path.relative(SOURCE, step)),
			path.relative(SOURCE, file),
		).toBeUndefined();
	}
});
