import fs from 'node:fs';
import path from 'node:path';
import type {Task} from '../../core/domain/task.js';
import type {ChangeJournal} from '../../core/ports/change-journal.js';

/** The journal as one small JSON file beside the database, written whole (temporary file, then rename), 0600. */
export class ChangeJournalFile implements ChangeJournal {
	readonly location: string;

	constructor(file: string) {
		this.location = file;
	}

	keep(tasks: readonly Task[]): void {
		const temporary = `${this.location}.${process.pid}.tmp`;
		fs.mkdirSync(path.dirname(this.location), {recursive: true, mode: 0o700});
		try {
			fs.writeFileSync(temporary, JSON.stringify({version: 1, tasks}), {mode: 0o600});
			fs.renameSync(temporary, this.location);
		} catch (error) {
			fs.rmSync(temporary, {force: true});
			throw error;
		}
	}

	pending(): Task[] {
		let text: string;
		try {
			text = fs.readFileSync(this.location, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw error;
		}
		const parsed = JSON.parse(text) as {version?: unknown; tasks?: unknown};
		if (parsed.version !== 1 || !Array.isArray(parsed.tasks)) throw new Error(`${this.location} is not a journal this ccfleet wrote; move it aside to start.`);
		return parsed.tasks as Task[];
	}

	clear(): void {
		fs.rmSync(this.location, {force: true});
	}
}
