import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createFleet, type Fleet} from '../../source/core/fleet.js';
import {silentLogger, type Logger} from '../../source/core/ports/logger.js';
import {startHttpServer, type HttpListener} from '../../source/http/http-server.js';
import type {HttpSettings} from '../../source/http/http-settings.js';
import {TokenFile} from '../../source/http/token-store.js';
import {createFleetMcpServer} from '../../source/mcp/fleet-server.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';

/**
 * The HTTP server in this process over a fleet of fakes: fast, and the test sees inside (how many listeners the
 * fleet's bus holds, what the output log was asked for). The daemon tests (http-sandbox.ts) prove the real wiring.
 */
export type InProcessServer = {
	fleet: Fleet;
	driver: FakeWorkerDriver;
	output: MemoryOutputLog;
	listener: HttpListener;
	url: string;
	tokens: TokenFile;
	token: string;
	readOnlyToken: string;
	/** Listeners on the fleet's event bus that were added and not yet removed. */
	busListeners(): number;
	/** What went to the daemon's log. */
	logged: string[];
	close(): Promise<void>;
};

export async function startInProcess(settings: Partial<HttpSettings> = {}): Promise<InProcessServer> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'ccfleet-http-'));
	const driver = new FakeWorkerDriver();
	const output = new MemoryOutputLog();
	const git = {snapshot: async () => ({branch: 'main', sha: 'sha', dirtyFiles: []})};
	const fleet = createFleet(
		{store: new MemoryTaskStore(), output, driver, clock: new FakeClock(), system: new FakeSystemMonitor(), ids: new SequentialIds(), git},
		{staggerMs: 0, maxWorkers: 4},
	);
	// Counted at the facade, so every subscription the HTTP layer makes (streams, MCP sessions, feeds) is seen.
	let active = 0;
	const on = fleet.on.bind(fleet);
	fleet.on = (event, listener) => {
		active++;
		const off = on(event, listener);
		let isOff = false;
		return () => {
			if (!isOff) active--;
			isOff = true;
			off();
		};
	};
	await fleet.start();
	const tokens = new TokenFile(path.join(home, 'http-tokens.json'));
	const token = tokens.create('test');
	const readOnlyToken = tokens.create('viewer', {isReadOnly: true});
	const logged: string[] = [];
	const record =
		(level: string) =>
		(message: string, fields?: Record<string, unknown>): void =>
			void logged.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
	const logger: Logger = {...silentLogger, warn: record('warn'), error: record('error')};
	const listener = await startHttpServer({
		settings: {host: '127.0.0.1', port: 0, hostNames: [], isInsecure: false, ...settings},
		fleet,
		tokenFile: tokens.filePath,
		createMcpServer: () => createFleetMcpServer(fleet),
		logger,
	});
	return {
		fleet,
		driver,
		output,
		listener,
		url: listener.url,
		tokens,
		token,
		readOnlyToken,
		busListeners: () => active,
		logged,
		async close() {
			await listener.close();
			await fleet.stop();
			rmSync(home, {recursive: true, force: true});
		},
	};
}
