import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {findClaudeBinary} from '../../source/adapters/claude/claude-binary.js';

describe('findClaudeBinary', () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bin-'));
	const own = path.join(dir, 'claude');
	writeFileSync(own, '#!/bin/sh\necho mine\n');
	chmodSync(own, 0o755);

	it('prefers CCFLEET_CLAUDE_BIN, then claude on PATH, then the bundled one', () => {
		expect(findClaudeBinary({CCFLEET_CLAUDE_BIN: own, PATH: ''})).toEqual({path: own, source: 'CCFLEET_CLAUDE_BIN'});
		expect(findClaudeBinary({PATH: `/nonexistent:${dir}`})).toEqual({path: own, source: 'PATH'});
		const bundled = findClaudeBinary({PATH: '/nonexistent'});
		expect(bundled.source).toBe('node_modules');
		expect(bundled.path).toMatch(/@anthropic-ai\/claude-code\/bin\/claude\.exe$/);
	});

	it('says what to do when CCFLEET_CLAUDE_BIN points nowhere', () => {
		expect(() => findClaudeBinary({CCFLEET_CLAUDE_BIN: '/no/such/claude'})).toThrow(/CCFLEET_CLAUDE_BIN is set to \/no\/such\/claude, which is not an executable file/);
	});
});
