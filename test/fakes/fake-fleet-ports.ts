import type {FleetPorts} from '../../source/core/fleet.js';
import {FakeClock} from './fake-clock.js';
import {FakeSystemMonitor} from './fake-system-monitor.js';
import {FakeWorkerDriver} from './fake-worker-driver.js';
import {MemoryOutputLog} from './memory-output-log.js';
import {MemoryTaskStore} from './memory-task-store.js';
import {SequentialIds} from './sequential-ids.js';

/** The ports a Fleet needs, each a fake of its own; `extra` replaces some (a store the test reads) or adds others (workspaces). */
export function fakeFleetPorts(extra: Partial<FleetPorts> = {}): FleetPorts {
	return {
		store: new MemoryTaskStore(),
		output: new MemoryOutputLog(),
		driver: new FakeWorkerDriver(),
		clock: new FakeClock(),
		system: new FakeSystemMonitor(),
		ids: new SequentialIds(),
		...extra,
	};
}
