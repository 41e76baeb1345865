import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, describe, expect, it} from 'vitest';
import {SqliteScheduleStore} from '../../source/adapters/sqlite/sqlite-schedule-store.js';
import {SqliteTaskStore} from '../../source/adapters/sqlite/sqlite-task-store.js';
import {MemoryScheduleStore} from '../fakes/memory-schedule-store.js';
import {describeScheduleStore, fullSchedule} from './schedule-store.contract.js';
import {minimalTask} from './task-store.contract.js';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-schedule-contract-'));
let files = 0;

afterAll(() => {
	fs.rmSync(directory, {recursive: true, force: true});
});

describeScheduleStore('MemoryScheduleStore', () => new MemoryScheduleStore());
describeScheduleStore('SqliteScheduleStore (file)', () => new SqliteScheduleStore(path.join(directory, `schedules-${++files}.db`)));
describeScheduleStore('SqliteScheduleStore (:memory:)', () => new SqliteScheduleStore(':memory:'));

describe('SqliteScheduleStore beside SqliteTaskStore', () => {
	it('shares one database file with the tasks, through a second connection, and both survive reopening', () => {
		const file = path.join(directory, 'shared.db');
		const tasks = new SqliteTaskStore(file);
		const schedules = new SqliteScheduleStore(file);
		tasks.insert(minimalTask('t1'));
		schedules.insert(fullSchedule('s1'));
		const run = schedules.addRun({scheduleId: 's1', scheduledFor: 1, firedAt: 2, taskId: 't1', outcome: 'started'});
		tasks.update(minimalTask('t1', {status: 'running'}));
		schedules.close();
		tasks.close();

		const reopenedSchedules = new SqliteScheduleStore(file);
		const reopenedTasks = new SqliteTaskStore(file);
		expect(reopenedSchedules.get('s1')).toStrictEqual(fullSchedule('s1'));
		expect(reopenedSchedules.pendingRuns()).toStrictEqual([run]);
		expect(reopenedTasks.get('t1')!.status).toBe('running');
		reopenedSchedules.close();
		reopenedTasks.close();
	});

	it('refuses to read a schedule whose status this version does not know', () => {
		const file = path.join(directory, 'odd.db');
		const store = new SqliteScheduleStore(file);
		store.insert(fullSchedule('odd'));
		store.close();
		// A newer ccfleet could add a status; this one must say so rather than guess.
		const raw = new Database(file);
		raw.prepare("UPDATE schedules SET status = 'sleeping'").run();
		raw.close();
		const reopened = new SqliteScheduleStore(file);
		expect(() => reopened.get('odd')).toThrow(/status "sleeping".*Upgrade ccfleet/);
		reopened.close();
	});
});
