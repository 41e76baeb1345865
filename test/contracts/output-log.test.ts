import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';
import {FileOutputLog} from '../../source/adapters/fs/file-output-log.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {describeOutputLog} from './output-log.contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-output-contract-'));
let directories = 0;

afterAll(() => {
	fs.rmSync(root, {recursive: true, force: true});
});

describeOutputLog('MemoryOutputLog', maxBytes => new MemoryOutputLog({maxBytes}));
// A directory per log, so that no test sees another's files.
describeOutputLog('FileOutputLog', maxBytes => new FileOutputLog(path.join(root, `logs-${++directories}`), {maxBytes}));
