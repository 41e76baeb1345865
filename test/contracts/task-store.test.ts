import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {describeTaskStore} from './task-store.contract.js';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-store-contract-'));
let files = 0;

afterAll(() => {
	fs.rmSync(directory, {recursive: true, force: true});
});

describeTaskStore('MemoryTaskStore', () => new MemoryTaskStore());
describeTaskStore('SqliteTaskStore (file)', () => new SqliteTaskStore(path.join(directory, `tasks-${++files}.db`)));
describeTaskStore('SqliteTaskStore (:memory:)', () => new SqliteTaskStore(':memory:'));
