import {test} from 'vitest';
import {renderDashboard} from '../helpers/render.js';
import {waitFor} from '../helpers/wait-for.js';
import {FakeFleetSource, iso, makeTask} from './fake-fleet-source.js';
test('print', async () => {
	const s = new FakeFleetSource();
	const mk = (id: string, command: string, ago: number, cwd: string) => makeTask({id, status: 'needs_input', workerState: 'needs_input', startedAt: iso(ago), cwd, prompt: 'Run the whole test suite and fix whatever fails in the parser module please', question: {toolName: 'Bash', toolInput: {command}, question: `Allow Bash(${command})?`}});
	s.tasks = [mk('a1b2c3d4', 'npm test', 65000, '/home/tester/work/api'), mk('e5f6g7h8', 'curl -s --max-time 1 http://127.0.0.1:9/ping || echo curl-done', 30000, '/tmp/ccfleet-sandbox-abc123/project/deeper/dir'), mk('i9j0k1l2', 'npm test', 5000, '/home/tester/work/ui')];
	s.outputs.set('a1b2c3d4', {lines: ['● Reading package.json', '● I will run the tests now with a long line that goes on and on and on well past the width of an eighty column terminal'], live: true});
	for (const [c, r] of [[80, 24], [120, 40]] as const) {
		const ui = await renderDashboard({source: s, columns: c, rows: r});
		await ui.press('I');
		await waitFor('x', () => ui.frame().includes('3 waiting'));
		await ui.press('a');
		console.log(ui.frame());
		await ui.press('n');
		console.log(ui.frame().split('\n').slice(-2).join('\n'));
		ui.unmount();
	}
});
