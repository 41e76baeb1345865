import {afterEach, expect, test} from 'vitest';
import type {TaskView} from '../../source/protocol/views.js';
import {keys} from '../helpers/keys.js';
import {cleanupDashboards, renderDashboard} from '../helpers/render.js';
import {FakeFleetSource, iso, makeTask} from './fake-fleet-source.js';

afterEach(() => cleanupDashboards());

const workflow = (step: string) => ({id: 'wf-k3f9', name: 'feature', step});
const goal = 'Add CSV export to the report page';

/** A feature workflow under way: design done, implement running, the rest waiting. */
class WorkflowFleet extends FakeFleetSource {
	constructor() {
		super([
			makeTask({id: 'impl0001', status: 'running', role: 'implementer', workflow: workflow('implement'), dependsOn: ['desi0001'], prompt: goal}),
			makeTask({id: 'desi0001', status: 'completed', role: 'architect', workflow: workflow('design'), createdAt: iso(60_000), prompt: goal}),
			makeTask({id: 'test0001', status: 'queued', role: 'tester', workflow: workflow('test'), dependsOn: ['impl0001'], prompt: goal}),
			makeTask({id: 'docs0001', status: 'queued', role: 'documenter', workflow: workflow('document'), dependsOn: ['impl0001'], prompt: goal}),
			makeTask({id: 'revi0001', status: 'queued', role: 'reviewer', workflow: workflow('review'), dependsOn: ['test0001', 'docs0001'], prompt: goal}),
		]);
	}

	async cancelWorkflow(id: string, reason: string): Promise<TaskView[]> {
		this.calls.push({method: 'cancelWorkflow', args: [id, reason]});
		this.tasks = this.tasks.map(task => (task.status === 'completed' ? task : {...task, status: 'cancelled', failureReason: reason}));
		return this.tasks;
	}
}

test('the DAG shows a workflow under its name, each step by its step and role', async () => {
	const ui = await renderDashboard({source: new WorkflowFleet(), columns: 100, rows: 30});
	await ui.press('d');
	const frame = ui.frame();
	expect(frame).toMatch(/DAG workflow feature wf-k3f9 · 5 steps/);
	const line = (id: string) => frame.split('\n').find(row => row.includes(id) && /[●◉]/.test(row)) ?? '';
	expect(line('desi0001')).toMatch(/desi0001 completed\s+design \(architect\)/);
	expect(line('impl0001')).toMatch(/impl0001 running\s+implement \(implementer\)/);
	expect(line('revi0001')).toMatch(/revi0001 queued\s+review \(reviewer\)/);
	expect(frame).not.toMatch(/●.*Add CSV export/);
	await ui.press(keys.enter);
	expect(ui.frame()).toMatch(/workflow +feature wf-k3f9, step implement \(implementer\)/);
	ui.unmount();
});

test('cancelling a workflow step offers to cancel the whole workflow; w does', async () => {
	const source = new WorkflowFleet();
	const ui = await renderDashboard({source, columns: 100, rows: 30});
	await ui.press('c');
	expect(ui.frame()).toMatch(/w\s+cancel the whole workflow feature \(wf-k3f9\) *\n/);
	await ui.press('w');
	expect(source.calls).toEqual([{method: 'cancelWorkflow', args: ['wf-k3f9', 'cancelled from the dashboard']}]);
	expect(ui.frame()).toContain('Workflow wf-k3f9: 4 of 5 steps cancelled.');
	ui.unmount();
});
