import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {minimalTask} from '../contracts/task-store.contract.js';

const directories: string[] = [];

afterEach(() => {
	for (const directory of directories.splice(0)) fs.rmSync(directory, {recursive: true, force: true});
});

describe('a workflow step in SQLite', () => {
	it('keeps the workflow it is a step of and a user role across a reopen', () => {
		const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-workflow-row-'));
		directories.push(directory);
		const file = path.join(directory, 'ccfleet.db');
		const task = {...minimalTask('t1'), role: 'pilot', workflow: {id: 'wf-k3f9', name: 'ship', step: 'fly'}};
		const store = new SqliteTaskStore(file);
		store.insert(task);
		store.close();
		const reopened = new SqliteTaskStore(file);
		expect(reopened.get('t1')).toEqual(task);
		reopened.close();
	});
});
