import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `text` to `file` through a temporary file and a rename, so a reader (a Claude Code session, the next start)
 * never sees half of it and a failed write leaves the old file whole. Private to its user (0600); the directory is made
 * 0700 when missing. A failed write removes its temporary file and throws.
 */
export function writeFileAtomically(file: string, text: string): void {
	fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
	const temporary = `${file}.ccfleet-${process.pid}.tmp`;
	try {
		fs.writeFileSync(temporary, text, {mode: 0o600});
		fs.renameSync(temporary, file);
	} catch (error) {
		fs.rmSync(temporary, {force: true});
		throw error;
	}
}
