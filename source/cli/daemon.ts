import type {Config} from '../config.js';
import type {Logger} from '../core/ports/logger.js';
import {startCore} from '../core-host.js';

/** `ccfleet --daemon`: the core with no UI, until SIGTERM or SIGINT; running tasks then wait to resume. */
export async function runDaemon(config: Config, logger: Logger): Promise<number> {
	const host = await startCore(config, logger);
	logger.info('ccfleet daemon ready', {pid: process.pid, socket: config.socketPath, home: config.home, claude: host.claudePath, recovered: host.recovery});
	const signal = await new Promise<NodeJS.Signals>(resolve => {
		for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => resolve(name));
	});
	logger.info('stopping: running tasks will resume at the next start', {signal});
	await host.close();
	logger.info('stopped');
	return 0;
}
