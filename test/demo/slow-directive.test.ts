import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, type Sandbox} from '../helpers/ccfleet-process.js';

// [[slow:MS]] is what keeps a real worker busy in many tests and in the demo. Without pings claude dropped the silent
// stream after a few seconds and asked again, so a "slow" task really was a quick one that retried.
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox();
	await sandbox.startDaemon();
});

afterAll(async () => {
	await sandbox.cleanup();
});

async function runSlow(mode: 'pty' | 'headless', marker: string): Promise<TaskView> {
	const {stdout, stderr, exitCode} = await sandbox.cli([
		'delegate',
		'--wait',
		'--json',
		'--mode',
		mode,
		`Think slowly ${marker} [[slow:15000]] [[reply:slow ${marker} done]]`,
	]);
	if (exitCode !== 0) throw new Error(`delegate failed (${exitCode}): ${stderr}${stdout}`);
	return JSON.parse(stdout) as TaskView;
}

describe('the mock keeps a slow stream alive', () => {
	it('a real worker with [[slow:15000]] stays busy at least 15 s and makes one request', async () => {
		const [pty, headless] = await Promise.all([runSlow('pty', 'alpha'), runSlow('headless', 'beta')]);
		for (const [task, marker] of [
			[pty, 'alpha'],
			[headless, 'beta'],
		] as const) {
			expect(task.status).toBe('completed');
			expect(Date.parse(task.endedAt!) - Date.parse(task.startedAt!)).toBeGreaterThanOrEqual(15_000);
			const requests = sandbox.mock.mainRequests().filter(request => JSON.stringify(request.body).includes(`Think slowly ${marker}`));
			expect(requests).toHaveLength(1);
		}
	}, 120_000);
});
