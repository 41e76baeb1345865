import fs from 'node:fs';
import type {Task} from '../../core/domain/task.js';
import type {ChangeJournal} from '../../core/ports/change-journal.js';
import {writeFileAtomically} from './write-file-atomically.js';

/** The journal as one small JSON file beside the database, written whole and private (writeFileAtomically). */
export class ChangeJournalFile implements ChangeJournal {
	readonly location: string;

	constructor(file: string) {
		this.location = file;
	}

	keep(tasks: readonly Task[]): void {
		writeFileAtomically(this.location, JSON.stringify({version: 1, tasks}));
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
