// A 1,000-task dependency graph through the real Fleet (in-memory ports): how long submitting it (each submission
// checks its dependencies), checking it for cycles, and releasing it as tasks complete take.
import {findCycle} from '../source/core/dag.js';
import {createFleet} from '../source/core/fleet.js';
import {FakeClock} from '../test/fakes/fake-clock.js';
import {FakeSystemMonitor} from '../test/fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../test/fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../test/fakes/memory-output-log.js';
import {MemoryTaskStore} from '../test/fakes/memory-task-store.js';
import {SequentialIds} from '../test/fakes/sequential-ids.js';

const NODES = 1000;
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

const driver = new FakeWorkerDriver();
const fleet = createFleet(
	{store: new MemoryTaskStore(), output: new MemoryOutputLog(), driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds()},
	{maxWorkers: 1_000_000, staggerMs: 0},
);
await fleet.start();

const ids: string[] = [];
const graph = new Map<string, string[]>();
let started = performance.now();
for (let i = 0; i < NODES; i++) {
	const dependsOn = ids.length === 0 ? [] : [...new Set(Array.from({length: 1 + Math.floor(random() * 3)}, () => ids[Math.floor(random() * ids.length)]!))];
	const task = fleet.submit({prompt: `node ${i}`, cwd: '/work', ...(dependsOn.length ? {dependsOn} : {})});
	ids.push(task.id);
	graph.set(task.id, dependsOn);
}
const submitMs = performance.now() - started;

started = performance.now();
const cycle = findCycle(graph);
const cycleMs = performance.now() - started;

started = performance.now();
let finished = 0;
while (finished < NODES) {
	const running = driver.started.filter(worker => !worker.exited);
	for (const worker of running) {
		worker.finish('ok');
		finished++;
	}
	// Dependents are released after the checkpoint of what they wait for, a microtask later.
	await new Promise(resolve => setImmediate(resolve));
}
const releaseMs = performance.now() - started;
console.log(
	`DAG of ${NODES} tasks (1–3 dependencies each): submit with dependency checks ${submitMs.toFixed(1)} ms, ` +
		`cycle check of the whole graph ${cycleMs.toFixed(2)} ms (${cycle ? 'cycle!' : 'acyclic'}; target < 50 ms), ` +
		`run and release in dependency order ${releaseMs.toFixed(1)} ms; ${fleet.counts().completed} completed`,
);
