import {afterAll, beforeAll, expect, it} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {createSandbox, processesOfTask, type Sandbox} from '../helpers/ccfleet-process.js';
import {waitFor} from '../helpers/wait-for.js';
import {allTasks, delegate, isEnded} from './fleet-client.js';

// The API answering 500 and 529 and dropping connections, to the real claude through the fleet: claude's own retries
// (CLAUDE_CODE_MAX_RETRIES) and the fleet's (CCFLEET_MAX_ATTEMPTS) are both bounded, a failure that passes is
// recovered from, and one that does not ends the task failed with the reason.
const CLAUDE_RETRIES = 1;
const ATTEMPTS = 2;
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await createSandbox({
		CCFLEET_MAX_WORKERS: '4',
		CLAUDE_CODE_MAX_RETRIES: String(CLAUDE_RETRIES),
		CCFLEET_MAX_ATTEMPTS: String(ATTEMPTS),
		CCFLEET_RETRY_BASE: '1s',
	});
	await sandbox.startDaemon();
}, 60_000);

afterAll(async () => {
	await sandbox.cleanup();
});

/** Main-conversation requests whose prompt carries `text`. */
const requestsFor = (text: string) => sandbox.mock.mainRequests().filter(request => JSON.stringify(request.body).includes(text)).length;

it('500, 529 and dropped connections: bounded retries, then failed with the reason; a passing one is recovered from', async () => {
	const cases = [
		{prompt: 'headless always 500 [[status:500:999]]', mode: 'headless', reason: /500|api.?error|internal/i},
		{prompt: 'headless always 529 [[status:529:999]]', mode: 'headless', reason: /529|overload/i},
		{prompt: 'headless always dropped [[drop:999]]', mode: 'headless', reason: /connect|socket|network|closed|fetch|ECONNRESET|terminated/i},
		{prompt: 'pty always 529 [[status:529:999]]', mode: 'pty', reason: /529|overload/i},
		{prompt: 'once 500 [[status:500:1]] [[reply:past the 500]]', mode: 'headless', result: 'past the 500'},
		{prompt: 'once 529 [[status:529:1]] [[reply:past the 529]]', mode: 'headless', result: 'past the 529'},
		{prompt: 'once dropped [[drop:1]] [[reply:past the drop]]', mode: 'headless', result: 'past the drop'},
		{prompt: 'pty once dropped [[drop:1]] [[reply:pty past the drop]]', mode: 'pty', result: 'pty past the drop'},
	];
	const created: TaskView[] = [];
	for (const {prompt, mode} of cases) created.push(await delegate(sandbox, {prompt, mode}));
	const final = await waitFor(
		'every faulted task to end',
		async () => {
			const tasks = await allTasks(sandbox);
			return tasks.length === cases.length && tasks.every(isEnded) ? tasks : undefined;
		},
		200_000,
	);
	const byPrompt = new Map(final.map(task => [task.prompt, task]));
	const report: string[] = [];
	for (const expected of cases) {
		const task = byPrompt.get(expected.prompt)!;
		const asked = requestsFor(expected.prompt);
		report.push(`${expected.prompt}: ${task.status} after ${task.attempts} run(s), ${asked} request(s): ${task.failureReason ?? task.result}`);
		expect(processesOfTask(task.id)).toEqual([]);
		if (expected.result) {
			expect(task, report.at(-1)).toMatchObject({status: 'completed', result: expected.result});
			continue;
		}
		expect(task.status, report.at(-1)).toBe('failed');
		expect(task.failureReason, report.at(-1)).toMatch(expected.reason!);
		expect(task.attempts, report.at(-1)).toBeLessThanOrEqual(ATTEMPTS);
		// Each run asks at most once plus claude's own retries; a little slack for the TUI's re-send of a turn.
		expect(asked, report.at(-1)).toBeLessThanOrEqual(ATTEMPTS * (CLAUDE_RETRIES + 1) * 2);
		expect(asked, report.at(-1)).toBeGreaterThan(0);
	}
	process.stdout.write(`api faults:\n  ${report.join('\n  ')}\n`);
}, 300_000);
