import {describe, expect, it} from 'vitest';
import {claudeArgs} from '../../source/adapters/claude/claude-args.js';
import type {WorkerSpec} from '../../source/core/ports/worker-driver.js';

const spec: WorkerSpec = {taskId: 't1', prompt: 'p', cwd: '/w', sessionId: 's1', resume: false, permissionMode: 'acceptEdits', mode: 'headless', maxBudgetUsd: 0.25};

describe('claudeArgs', () => {
	it("gives a headless worker claude's own --max-budget-usd", () => {
		expect(claudeArgs(spec).join(' ')).toContain('--max-budget-usd 0.25');
	});

	it("leaves it out for the TUI, which has no such flag (the fleet watches a pty worker's budget itself)", () => {
		expect(claudeArgs({...spec, mode: 'pty'})).not.toContain('--max-budget-usd');
		expect(claudeArgs({...spec, maxBudgetUsd: undefined})).not.toContain('--max-budget-usd');
	});
});
