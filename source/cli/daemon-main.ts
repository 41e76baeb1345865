// `ccfleet --daemon` with nothing else, reached from bin/ccfleet.js before cli.tsx: the core with no dashboard, so it
// loads neither the argument parser and the command table nor React and Ink, only the core and what it runs with.
// Errors are told the way cli.tsx tells them.
import {loadConfig} from '../config.js';
import {createStderrLogger} from '../adapters/system/stderr-logger.js';
import {runDaemon} from './daemon.js';
import {exitCodeOf, formatCliError} from './errors.js';

try {
	const config = loadConfig();
	process.exitCode = await runDaemon(config, createStderrLogger(config.logLevel));
} catch (error) {
	process.stderr.write(`ccfleet: ${formatCliError(error)}\n`);
	process.exitCode = exitCodeOf(error);
}
